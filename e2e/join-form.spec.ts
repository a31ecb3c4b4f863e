import { expect, test } from '@playwright/test';
import { seriousA11yViolations } from './helpers';

test('a join code with look-alike characters is refused before any request, with the rule in words', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Join code').fill('ABO1');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.getByText(/a join code is 6 characters from/)).toBeVisible();
  await expect(page.getByLabel('Join code')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/$/);
});

test('a valid code leads to /join/<CODE>, which asks for a name and refuses an empty one', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Join code').fill('abc234');
  await page.getByLabel('Join code').press('Enter');
  await expect(page).toHaveURL(/\/join\/ABC234$/);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.getByText('enter a name')).toBeVisible();
});

test('joining by URL with a code that does not exist shows the server’s reason', async ({ page }) => {
  await page.goto('/join/ZZZZ99');
  await page.getByLabel('Your name').fill('Ada');
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.locator('.field-error[role="alert"]')).toBeVisible();
  await expect(page).toHaveURL(/\/join\/ZZZZ99$/);
});

test('a malformed code in the URL is explained, with a way back', async ({ page }) => {
  await page.goto('/join/NOPE');
  await expect(page.getByText(/is not a join code/)).toBeVisible();
  await page.getByRole('link', { name: 'Enter another code' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('axe: the start page has no serious or critical accessibility violations (phone and projector widths)', async ({ page }) => {
  for (const width of [375, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }
});
