/** The board in 简体中文: switching the language changes what is shown, field explanations included, and is remembered. */
import { describe, expect, it } from 'vitest';
import { boardInBrowser } from './board-in-browser';

const session = boardInBrowser();

describe('languages', () => {
  it('switches to Simplified Chinese at run time and remembers it', async () => {
    const { page } = session.browser;
    await page.goto(`${session.board.url}#params`);
    await page.getByTestId('field-learning_rate').waitFor();
    expect(await page.getByTestId('tab-train').textContent()).toContain('Train');
    expect(await page.locator('[data-field=learning_rate]').textContent()).toContain('How big each update is');

    await page.getByTestId('language').selectOption('zh-CN');
    expect(await page.getByTestId('tab-train').textContent()).toContain('训练');
    expect(await page.getByTestId('tab-params').textContent()).toContain('参数');
    expect(await page.locator('[data-field=learning_rate]').textContent()).toContain('学习率');
    expect(await page.locator('[data-field=learning_rate]').textContent()).toContain('每次更新的幅度');
    expect(await page.getByTestId('preset-quick').textContent()).toContain('快速测试');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');

    // Inline problems are translated too.
    await page.getByTestId('field-learning_rate').fill('5');
    expect(await page.getByTestId('problem-learning_rate').textContent()).toContain('不能大于 1');
    await page.getByTestId('preset-quick').click();

    await page.reload();
    await page.getByTestId('tab-train').waitFor();
    expect(await page.getByTestId('tab-train').textContent()).toContain('训练');
    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('start').textContent()).toContain('开始训练');

    await page.getByTestId('language').selectOption('en');
    expect(await page.getByTestId('start').textContent()).toContain('Start training');
    expect(session.browser.pageErrors).toEqual([]);
  });
});
