import { assignRole, expect, hostClassroom, joinAsStudent, test } from './helpers';

/**
 * [kube-proxy] The error rate says what it counts. In the trial's rolling update the kube-proxy
 * student read "Error rate: 92% refused or failed" with three pods serving: the share counts every
 * request routed from the node since the round began, before any pod existed, and said so nowhere.
 */
test('a kube-proxy student on a phone reads the error rate as the share of the requests routed from the node so far', async ({ openPage }) => {
  test.setTimeout(90_000);
  const { instructor, code } = await hostClassroom(openPage, 1);
  const phone = await joinAsStudent(openPage, code, 'Pax');
  await phone.setViewportSize({ width: 390, height: 844 });
  await assignRole(instructor, 'Pax', 'kube-proxy of node-1');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  const rate = phone.getByTestId('error-rate');
  await expect(rate).toHaveText('Error rate: no requests yet', { timeout: 30_000 });
  // Pax programs web with the endpoints it has now (none: no pod is Ready yet); a request sent then is refused.
  await phone.getByRole('button', { name: 'Sync web on node-1' }).click();
  const send = phone.getByRole('button', { name: 'Send a request to web from node-1' });
  await expect(send).toBeEnabled({ timeout: 30_000 });
  await send.click();
  await expect(rate).toHaveText('Error rate: 100% refused or failed (1 of the 1 requests routed from node-1 so far)', { timeout: 30_000 });
});
