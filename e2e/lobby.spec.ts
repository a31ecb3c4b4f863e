import { assignRole, expect, hostClassroom, joinAsStudent, test } from './helpers';

test('the instructor’s screen shows the join code and a QR code of the join URL, which opens the join page', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 1);
  const qr = instructor.getByRole('img', { name: /QR code that opens/ });
  await expect(qr).toBeVisible();
  const url = (await qr.getAttribute('alt'))?.replace('QR code that opens ', '') ?? '';
  expect(url).toMatch(new RegExp(`/join/${code}$`));
  const student = await openPage();
  await student.goto(url);
  await expect(student.getByRole('heading', { name: `Join class ${code}` })).toBeVisible();
});

test('a student in the lobby sees the roster and, live, the role the instructor assigns', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 2);
  const ada = await joinAsStudent(openPage, code, 'Ada');
  await joinAsStudent(openPage, code, 'Bob');
  await expect(ada.getByRole('region', { name: /^Class/ })).toContainText('Bob');
  await expect(ada.getByTestId('my-role')).toHaveText('not assigned yet');
  await assignRole(instructor, 'Ada', 'Kubelet of ');
  await expect(ada.getByTestId('my-role')).toHaveText(/^Kubelet of /);
  await expect(instructor.locator('tr[data-student="Ada"]')).toContainText('online');
});

test('a reload keeps the student’s identity, and the join page offers to continue rather than join twice', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 1);
  const ada = await joinAsStudent(openPage, code, 'Ada');
  await assignRole(instructor, 'Ada', 'Scheduler');
  await ada.reload();
  await expect(ada.getByTestId('my-role')).toHaveText('Scheduler');
  await ada.goto(`/join/${code}`);
  await ada.getByRole('link', { name: 'Continue as Ada' }).click();
  await expect(ada.getByTestId('my-role')).toHaveText('Scheduler');
  await expect(instructor.locator('tr[data-student]')).toHaveCount(1);
});

test('a student the instructor removes is told so, with the server’s words', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 1);
  const ada = await joinAsStudent(openPage, code, 'Ada');
  instructor.on('dialog', (dialog) => void dialog.accept());
  await instructor.getByRole('button', { name: 'Remove Ada' }).click();
  await expect(ada.getByRole('heading', { name: 'You left the classroom' })).toBeVisible();
  await expect(instructor.locator('tr[data-student]')).toHaveCount(0);
  // Her key is revoked: a refusal for good, not retried (unlike a Redis outage), and she may join again.
  await ada.reload();
  await expect(ada.getByRole('heading', { name: 'The classroom refused this session' })).toBeVisible();
  await expect(ada.getByText('Unauthorized: unknown or revoked token; join the classroom again with its code')).toBeVisible();
  await expect(ada.locator('header').getByRole('status')).toHaveText('Refused by the server');
  await ada.getByRole('button', { name: 'Join again' }).click();
  await expect(ada).toHaveURL(new RegExp(`/join/${code}$`));
});
