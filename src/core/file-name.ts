/** The one way a name (scenario, configuration) becomes part of a file or folder name. */

/** `name` with every run of characters outside letters, digits and `_ . @ = -` replaced by `_`. */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.@=-]+/g, '_');
}
