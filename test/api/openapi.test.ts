// The OpenAPI document at /docs/json is a valid OpenAPI 3 document and documents every route the gateway serves.
import { describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { buildGateway } from '../../src/api/server.js';
import { FakeState } from './fake-state.js';

describe('OpenAPI document', () => {
  it('validates and covers every route', async () => {
    const { app, routes } = await buildGateway({ state: new FakeState(), token: 't', webRoot: false });
    await app.ready();
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    // SwaggerParser.validate checks the document against the OpenAPI 3.0 JSON schema and resolves every $ref; it
    // mutates its input, so it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();

    const api = routes.filter((x) => x.url.startsWith('/api/') && x.method !== 'HEAD');
    expect(api.length).toBeGreaterThanOrEqual(17);
    for (const route of api) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path], `${route.method} ${route.url} missing from the OpenAPI document`).toBeDefined();
      expect(doc.paths[path][route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
    // Everything not under /api is either the documentation UI itself or hidden on purpose (static files).
    for (const route of routes.filter((x) => !x.url.startsWith('/api/'))) {
      expect(route.url.startsWith('/docs') || route.hidden, `${route.method} ${route.url} is neither documented nor hidden`).toBe(true);
    }
    // The state-changing route declares its bearer security.
    expect(doc.paths['/api/v1/admin/reload'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
    await app.close();
  });
});
