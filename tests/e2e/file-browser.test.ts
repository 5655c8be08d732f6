/**
 * The board's own file browser when the server is slow: a path typed while the first listing is still on
 * its way is kept, and Enter opens it. (CI once lost the typed path this way: the late first listing
 * replaced it, and Enter reopened the model folder; later a listing landing mid-fill joined the two paths.)
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';

const session = boardInBrowser();

describe('file browser', () => {
  it('keeps a path typed while the first listing loads', async () => {
    const { page } = session.browser;
    // Folder listings from the server wait while `holding`, to be let through at a chosen moment.
    let holding = false;
    const held: (() => void)[] = [];
    await page.routeWebSocket(/\/ws/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((frame) => {
        const pass = () => ws.send(frame);
        if (holding && String(frame).includes('"entries"')) held.push(pass);
        else pass();
      });
    });
    await page.goto(session.board.url);
    await page.getByTestId('tab-model').click();
    await expect.poll(() => page.getByTestId('model-input').inputValue(), { timeout: 30_000 }).not.toBe('');

    holding = true;
    await page.getByTestId('model-browse').click();
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const resources = resolve(ROOT, 'resources');
    await page.getByTestId('browser-path').fill(resources);
    holding = false;
    for (const pass of held.splice(0)) pass();
    await expect.poll(() => page.getByTestId('file-browser').locator('ul').getAttribute('aria-busy')).toBe('false');
    expect(await page.getByTestId('browser-path').inputValue()).toBe(resources);

    await page.getByTestId('browser-path').press('Enter');
    const demoEntry = page.locator('[data-testid=browser-entry][data-name=demo-model]');
    await expect.poll(() => demoEntry.getAttribute('data-hint')).toBe('model');

    // A listing that lands between selecting the box's text and typing over it (what a quick Ctrl+A and paste,
    // or Playwright's fill, does) leaves the selection alone: the new path replaces the old, not joins it.
    await page.keyboard.press('Escape');
    await page.getByTestId('file-browser').waitFor({ state: 'detached' });
    holding = true;
    await page.getByTestId('model-browse').click();
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const box = page.getByTestId('browser-path');
    await box.focus();
    await page.keyboard.press('ControlOrMeta+A');
    holding = false;
    for (const pass of held.splice(0)) pass();
    await expect.poll(() => page.getByTestId('file-browser').locator('ul').getAttribute('aria-busy')).toBe('false');
    await page.keyboard.insertText(resources);
    expect(await box.inputValue()).toBe(resources);
    expect(session.browser.pageErrors).toEqual([]);
  });
});
