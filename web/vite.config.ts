import { defineConfig } from 'vite';

// The pages are served by the gateway from META-INF/resources (see pom.xml). Asset URLs are relative
// ('./') and so are the API calls, so the pages also work behind an ingress path prefix.
// `npm run dev` serves them with hot reload and sends the API to a gateway on localhost:8080.
export default defineConfig({
  base: './',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': { target: process.env.MMGPT_GATEWAY ?? 'http://localhost:8080', changeOrigin: false },
      '/q': { target: process.env.MMGPT_GATEWAY ?? 'http://localhost:8080', changeOrigin: false },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
