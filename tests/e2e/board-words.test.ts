/**
 * What the board says, read as a new user reads it: the file browser marks as datasets only files that are one,
 * the Export tab's box is named as the engine's "already exists" error names it, and the header shows the
 * device in full where it has room.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';
import { writeRun } from './written-runs';

const ARTIFACTS = resolve(ROOT, 'test-results');
const session = boardInBrowser();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await writeRun(session.board.runsDir, 'finished-run', { status: 'completed', startedAt: '2026-01-01T10:00:00.000Z', losses: [3, 2.5, 2.2] });
});

describe('words on the board', () => {
  it('marks as datasets only the files that hold examples', async () => {
    const { page } = session.browser;
    const folder = join(session.board.dir, 'mixed');
    mkdirSync(folder, { recursive: true });
    const example = { instruction: 'Say hi', input: '', output: 'Hi' };
    writeFileSync(join(folder, 'examples.json'), JSON.stringify([example, example], null, 2));
    writeFileSync(join(folder, 'chat.jsonl'), `${JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] })}\n`);
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }, null, 2));
    writeFileSync(join(folder, 'scores.json'), '[0.1, 0.2, 0.3]');

    await page.goto(`${session.board.url}#data`);
    await page.getByTestId('dataset-browse').click();
    await page.getByTestId('browser-path').fill(folder);
    await page.getByTestId('browser-path').press('Enter');
    const hint = (name: string) => page.locator(`[data-testid=browser-entry][data-name="${name}"]`).getAttribute('data-hint');
    await expect.poll(() => hint('examples.json'), { timeout: 30_000 }).toBe('dataset-file');
    expect(await hint('chat.jsonl')).toBe('dataset-file');
    expect(await hint('package.json')).toBe('');
    expect(await hint('scores.json')).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'file-browser-dataset-hints.png') });
    await page.keyboard.press('Escape');
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('names the Export tab\'s box "Replace the folder", as the "already exists" error does', async () => {
    const { page } = session.browser;
    await page.goto(`${session.board.url}#export`);
    const box = page.locator('label.check', { has: page.getByTestId('export-overwrite') });
    await box.waitFor({ timeout: 30_000 });
    expect((await box.textContent())!.trim()).toBe('Replace the folder');
    await page.getByTestId('language').selectOption('zh-CN');
    expect((await box.textContent())!.trim()).toContain('Replace the folder');
    await page.getByTestId('language').selectOption('en');
  });

  it('shows the device name in full where the header has room, and whole in its tooltip where not', async () => {
    const { page } = session.browser;
    await page.goto(session.board.url);
    const name = page.getByTestId('device-name');
    await name.waitFor({ timeout: 60_000 });
    const device = (await name.textContent())!;
    expect(await name.getAttribute('title')).toBe(device);
    const cut = () => name.evaluate((el) => el.scrollWidth > el.clientWidth);
    expect(await cut()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'header-device-wide.png'), clip: { x: 0, y: 0, width: 1280, height: 140 } });
    await page.setViewportSize({ width: 480, height: 900 });
    expect(await name.getAttribute('title')).toBe(device);
    await page.screenshot({ path: join(ARTIFACTS, 'header-device-narrow.png'), clip: { x: 0, y: 0, width: 480, height: 160 } });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(session.browser.pageErrors).toEqual([]);
  });
});
