// `npm start`: build the client when missing or stale, then run the server in production mode
// in this same process (tsx compiles the TypeScript on load), so signals reach it directly.
import { register } from 'tsx/esm/api';
import { buildClientIfStale } from './client-build.mjs';

buildClientIfStale();
process.env.NODE_ENV ??= 'production';
register();
await import('../server/main.ts');
