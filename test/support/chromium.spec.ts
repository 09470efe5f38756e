import { describe, expect, it } from 'vitest';
import { INSTALL_HINT, findOrInstallChromium } from './chromium.ts';

describe('findOrInstallChromium', () => {
  it('uses SWITCHYARD_CHROMIUM when it names an executable, without installing anything', async () => {
    const logged: string[] = [];
    expect(await findOrInstallChromium({ SWITCHYARD_CHROMIUM: process.execPath }, (l) => logged.push(l))).toEqual({ ok: true, path: process.execPath, installed: false });
    expect(logged).toEqual([]);
  });

  it('says what to install when SWITCHYARD_CHROMIUM is wrong', async () => {
    const r = await findOrInstallChromium({ SWITCHYARD_CHROMIUM: '/nonexistent/chromium' }, () => undefined);
    expect(r).toEqual({ ok: false, reason: `SWITCHYARD_CHROMIUM=/nonexistent/chromium is not an executable file` });
    expect(INSTALL_HINT).toContain('apt-get install -y chromium');
  });
});
