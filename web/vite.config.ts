// Vite build of the dashboard. Root is web/, output web/dist/ (served by the gateway with @fastify/static).
// The dashboard imports pure code from ../src/quant and ../src/market, so the repo root is allowed for the dev server.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const webRoot = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(webRoot, 'dist'),
    emptyOutDir: true,
    // three + drei + recharts make a large bundle; split the heavy vendors so the first paint is not blocked on one file.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/three') || id.includes('@react-three')) return 'three';
          if (id.includes('node_modules/recharts') || id.includes('node_modules/d3-')) return 'charts';
          return undefined;
        },
      },
    },
  },
  server: {
    fs: { allow: [resolve(webRoot, '..')] },
    proxy: { '/api': { target: 'http://127.0.0.1:8787', ws: true } },
  },
});
