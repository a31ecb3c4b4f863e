import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

const sharedDir = fileURLToPath(new URL('./shared', import.meta.url));
const serverPort = Number(process.env.PORT ?? 3000);

// One config for the client build, the dev server and the test runner, so the
// `@shared` alias resolves the same everywhere.
export default defineConfig({
  root: 'client',
  resolve: { alias: { '@shared': sharedDir } },
  plugins: [svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) })],
  build: { outDir: '../dist/client', emptyOutDir: true },
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    // The browser talks to one URL: Vite proxies the API and the socket to the server.
    proxy: {
      '/api': `http://127.0.0.1:${serverPort}`,
      '/healthz': `http://127.0.0.1:${serverPort}`,
      '/readyz': `http://127.0.0.1:${serverPort}`,
      '/socket.io': { target: `http://127.0.0.1:${serverPort}`, ws: true },
    },
  },
  test: {
    root: '.',
    // Every object the store shares is frozen: a change made in place throws (server/store/mutation-detector.ts).
    env: { CLUSTERPLAY_CACHE_MUTATION_DETECTOR: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'client/**/*.test.ts'],
          environment: 'node',
          // A limit catches a hang, not slowness: a 0.8 s simulation took 5.8 s at load 25.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['server/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['server/testing/global-redis.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
