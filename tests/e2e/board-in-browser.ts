/**
 * The setup every board test shares: `tuneboard serve` started and Chromium opened before the file's tests,
 * both closed after them. Call at the top of a test file; the returned object's fields are set once
 * `beforeAll` has run.
 */
import { afterAll, beforeAll } from 'vitest';
import { openBrowser, type Browser } from './chromium';
import { startServe, type ServedBoard } from './serve-process';

export interface BoardInBrowser {
  readonly board: ServedBoard;
  readonly browser: Browser;
}

export function boardInBrowser(): BoardInBrowser {
  let board: ServedBoard | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    board = await startServe();
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await board?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (!value) throw new Error('the board is not started: call boardInBrowser() at the top of the test file');
    return value;
  };
  return {
    get board() {
      return started(board);
    },
    get browser() {
      return started(browser);
    },
  };
}
