import { expect, test } from '@playwright/test';

test('the app shell loads and shows it is connected over Socket.IO', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'ClusterPlay' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(/Connected/);
});

test('a client route is served by the single-page app', async ({ page }) => {
  const response = await page.goto('/join/ABC234');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'ClusterPlay' })).toBeVisible();
});
