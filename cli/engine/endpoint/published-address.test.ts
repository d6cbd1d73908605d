import { describe, expect, it } from 'vitest';
import { hostUrl } from '../inspect-state.js';
import { describePublished, publishedAddress, publishedUrl } from './published-address.js';

const local = { remote: false };
const machine = { remote: true, address: '192.168.99.100' };
const v6 = { remote: true, address: 'fd00::5' };

describe('publishedAddress', () => {
  it('on this machine: 127.0.0.1 for an unspecified address, as hostUrl says', () => {
    for (const hostIp of ['', '0.0.0.0', '127.0.0.1', '10.1.2.3']) {
      const port = { hostIp, hostPort: 5000, containerPort: 5000, protocol: 'tcp' as const };
      expect(publishedUrl(publishedAddress(port, local), '/user/health')).toBe(
        hostUrl(port, '/user/health'),
      );
    }
    expect(publishedAddress({ hostIp: '::', hostPort: 80 }, local)).toEqual({
      reachable: true,
      host: '127.0.0.1',
      port: 80,
    });
  });

  it("on a remote engine: the engine host's address for an unspecified address", () => {
    expect(
      publishedUrl(publishedAddress({ hostIp: '0.0.0.0', hostPort: 5000 }, machine), '/x'),
    ).toBe('http://192.168.99.100:5000/x');
    expect(publishedUrl(publishedAddress({ hostIp: '', hostPort: 8000 }, v6))).toBe(
      'http://[fd00::5]:8000',
    );
    expect(publishedUrl(publishedAddress({ hostIp: '10.0.0.7', hostPort: 8000 }, machine))).toBe(
      'http://10.0.0.7:8000',
    );
  });

  it("on a remote engine's loopback: reachable only there, never a 127.0.0.1 that does not answer", () => {
    for (const hostIp of ['127.0.0.1', '127.0.0.2', '::1']) {
      const address = publishedAddress({ hostIp, hostPort: 5000 }, machine);
      expect(address.reachable).toBe(false);
      expect(publishedUrl(address)).toBeUndefined();
    }
    expect(
      describePublished(publishedAddress({ hostIp: '127.0.0.1', hostPort: 5000 }, machine)),
    ).toBe("reachable only on the engine's host (192.168.99.100): published on its 127.0.0.1:5000");
    expect(describePublished(publishedAddress({ hostIp: '::1', hostPort: 5000 }, v6))).toBe(
      "reachable only on the engine's host (fd00::5): published on its [::1]:5000",
    );
  });
});
