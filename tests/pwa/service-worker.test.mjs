import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PWA = fileURLToPath(new URL('../../pwa/', import.meta.url));

/** Shell files: everything the browser loads, not tooling or config. */
const SHELL_EXTENSIONS = ['.html', '.css', '.js', '.png', '.webmanifest'];

async function listShellFiles(folder = PWA, prefix = '/') {
  const files = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      files.push(...(await listShellFiles(`${folder}${entry.name}/`, `${prefix}${entry.name}/`)));
    } else if (SHELL_EXTENSIONS.some((extension) => entry.name.endsWith(extension))) {
      files.push(`${prefix}${entry.name}`);
    }
  }
  return files;
}

async function readPrecacheList() {
  const source = await readFile(`${PWA}sw.js`, 'utf8');
  const list = source.match(/const SHELL_FILES = \[([\s\S]*?)\];/);
  assert.ok(list, 'sw.js should declare SHELL_FILES');
  return [...list[1].matchAll(/'([^']+)'/g)].map((match) => match[1]);
}

describe('service worker', () => {
  it('precaches every shell file', async () => {
    const precached = new Set(await readPrecacheList());
    const missing = (await listShellFiles()).filter(
      (path) => path !== '/sw.js' && !precached.has(path),
    );

    assert.deepEqual(missing, []);
  });

  it('precaches no missing file', async () => {
    const present = new Set(await listShellFiles());
    const stale = (await readPrecacheList()).filter((path) => path !== '/' && !present.has(path));

    assert.deepEqual(stale, []);
  });
});
