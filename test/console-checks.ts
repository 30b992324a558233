import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** Checks of a console page as laid out in the browser: axe-core's WCAG 2.1 A/AA rules and overflow at a width. */

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation { readonly id: string; readonly impact: string | null; readonly nodes: readonly { readonly target: readonly string[] }[] }

/** axe-core's WCAG 2.1 A and AA rules over the page as it stands (the context needs bypassCSP to inject it). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.map((v) => `${v.id} (${v.impact ?? ''}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * What overflows the viewport's width: the page itself, sign-out off screen, a menu item broken
 * over lines, or a table wider than the page outside a scrolling region.
 */
export async function layoutProblems(page: Page, width: number): Promise<string[]> {
  return page.evaluate((w) => {
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > w) problems.push(`the page is ${String(document.documentElement.scrollWidth)} px wide`);
    const signOut = document.querySelector('[data-testid="sign-out"]')?.getBoundingClientRect();
    if (signOut === undefined || signOut.right > w || signOut.left < 0) problems.push('sign-out is off screen');
    for (const link of document.querySelectorAll('.topbar-actions a')) {
      const box = link.getBoundingClientRect();
      if (box.height > 32) problems.push(`menu item "${link.textContent}" wraps (${String(Math.round(box.height))} px high)`);
    }
    for (const table of document.querySelectorAll('table')) {
      const box = table.getBoundingClientRect();
      if (box.right > w && table.closest('.table-scroll') === null) problems.push(`a table reaches ${String(Math.round(box.right))} px outside a scrolling region`);
    }
    return problems;
  }, width);
}

/** The page wider than `width`, or any element matching `selector` reaching past it (the citizen portal's pages). */
export async function elementsBeyond(page: Page, width: number, selector: string): Promise<string[]> {
  return page.evaluate(([w, sel]) => {
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > w) problems.push(`the page is ${String(document.documentElement.scrollWidth)} px wide`);
    for (const el of document.querySelectorAll(sel)) {
      const box = el.getBoundingClientRect();
      if (box.right > w + 0.5) problems.push(`${el.tagName.toLowerCase()} reaches ${String(Math.round(box.right))} px`);
    }
    return problems;
  }, [width, selector] as const);
}
