// Send-thread entry (see sender.ts): teach this thread TypeScript (tsx), then run the sender.
import { register } from 'tsx/esm/api';

register();
await import('./send-thread-main.ts');
