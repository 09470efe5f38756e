// Headless Chromium for the browser tests (the HTML report): Debian's `chromium` package, found
// or installed by debian-tool.ts; where it can be neither, the report test skips its browser
// checks with the reason.
import { findOrInstallDebianTool } from './debian-tool.ts';
import type { DebianTool, ToolLookup } from './debian-tool.ts';

export const INSTALL_HINT =
  'install Chromium to run it: `sudo apt-get install -y chromium` (Debian/Ubuntu), or set SWITCHYARD_CHROMIUM to the path of a Chromium or Chrome binary';

const CHROMIUM: DebianTool = {
  name: 'Chromium',
  debianPackage: 'chromium',
  envVar: 'SWITCHYARD_CHROMIUM',
  // Where Debian, Ubuntu and Google's packages put the browser.
  candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
  installHint: INSTALL_HINT,
};

export type ChromiumLookup = ToolLookup;

/** Finds Chromium (SWITCHYARD_CHROMIUM first, then the usual paths), installing it when it may. */
export function findOrInstallChromium(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<ChromiumLookup> {
  return findOrInstallDebianTool(CHROMIUM, env, log);
}
