// Worker-thread entry: teach this thread TypeScript (tsx), then run the simulation module.
import { register } from 'tsx/esm/api';

register();
await import('./thread-main.ts');
