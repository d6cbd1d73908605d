import { describe, expect, it } from 'vitest';
import { loadEnvoyApi } from './envoy-api.js';
import { envoyTypes } from './render-envoy.js';

describe('loadEnvoyApi', () => {
  it('loads the committed descriptor set once, with every type esteps writes', () => {
    const api = loadEnvoyApi();
    expect(loadEnvoyApi()).toBe(api);
    expect(api.bootstrap.typeName).toBe('envoy.config.bootstrap.v3.Bootstrap');
    for (const type of Object.values(envoyTypes)) {
      expect(api.registry.getMessage(type)?.typeName).toBe(type);
      expect(api.anyTypes).toContain(type);
    }
  });

  it("carries protoc-gen-validate's rules, StringRules.ignore_empty included", () => {
    const api = loadEnvoyApi();
    expect(api.fieldRules.typeName).toBe('validate.rules');
    expect(api.oneofRequired.typeName).toBe('validate.required');
    expect(api.registry.getMessage('validate.StringRules')?.field.ignoreEmpty?.number).toBe(26);
  });
});
