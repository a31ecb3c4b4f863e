import { expect, test } from '@playwright/test';
import { hostClassroom, joinAsStudent, seriousA11yViolations, test as helperTest } from './helpers';

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

helperTest('a name another student holds is refused next to the name field; the student who holds it comes back as themselves', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage);
  const kim = await joinAsStudent(openPage, code, 'Kim');

  const namesake = await openPage();
  await namesake.goto(`/join/${code}`);
  await namesake.getByLabel('Your name').fill(' kim ');
  await namesake.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(namesake.locator('#join-name-error')).toHaveText('the name "kim" is already taken in this classroom: choose another');
  await expect(namesake.getByLabel('Your name')).toHaveAttribute('aria-invalid', 'true');
  await expect(namesake.getByLabel('Your name')).toHaveAccessibleDescription('the name "kim" is already taken in this classroom: choose another');
  await expect(namesake).toHaveURL(new RegExp(`/join/${code}$`));
  // Another name gets in, and the instructor can tell the two apart.
  await namesake.getByLabel('Your name').fill('Kim L');
  await namesake.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(namesake.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await expect(instructor.getByLabel('Role of Kim', { exact: true })).toHaveCount(1);
  await expect(instructor.getByLabel('Role of Kim L', { exact: true })).toHaveCount(1);

  // Kim opens the join link again on her phone and types her name: she is back in her own seat.
  await kim.goto(`/join/${code}`);
  await kim.getByLabel('Your name').fill('KIM');
  await kim.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(kim).toHaveURL(/\/play\/[^/]+$/);
  await expect(kim.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await expect(instructor.getByLabel('Role of Kim', { exact: true })).toHaveCount(1);
});

helperTest('a join whose answer was lost, tried again under a corrected name, is one student under that name: no ghost of the typo in the roster', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage);
  const student = await openPage();
  await student.goto(`/join/${code}`);
  // The first try reaches the server and joins, but its answer never reaches the phone.
  const sent: unknown[] = [];
  await student.route('**/api/classrooms/join', async (route) => {
    sent.push(route.request().postDataJSON());
    if (sent.length > 1) return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  });
  await student.getByLabel('Your name').fill('Grce');
  await student.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(student.getByText('The server cannot be reached. Check your network and try again.')).toBeVisible();
  await student.getByLabel('Your name').fill('Grace');
  await student.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(student.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  expect(sent).toEqual([
    { code, name: 'Grce', attempt: expect.stringMatching(/^[0-9a-f]{32}$/), try: 1 },
    { code, name: 'Grace', attempt: (sent[0] as { attempt: string }).attempt, try: 2 },
  ]);
  await expect(instructor.getByLabel('Role of Grace', { exact: true })).toHaveCount(1);
  await expect(instructor.getByLabel('Role of Grce', { exact: true })).toHaveCount(0);
});
