import { expect, test } from '@playwright/test';

test('the start page offers to join a class with a code or to host one', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'ClusterPlay' })).toBeVisible();
  await expect(page.getByLabel('Join code')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Host a class' })).toBeVisible();
});

test('a client route is served by the single-page app', async ({ page }) => {
  const response = await page.goto('/join/ABC234');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'ClusterPlay' })).toBeVisible();
  await expect(page.getByRole('heading', { name: /Join class ABC234/ })).toBeVisible();
});
