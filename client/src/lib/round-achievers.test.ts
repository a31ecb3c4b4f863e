import { describe, expect, it } from 'vitest';
import type { RoundScore } from '@shared/protocol';
import { achieversText, goalWho, isBotScore } from './round-achievers';

describe('achieversText', () => {
  it('names students and counts bots per component, in the order the components were first named', () => {
    expect(
      achieversText([
        { component: 'kube-controller-manager', memberId: 'm-cleo', name: 'Cleo' },
        { component: 'kubelet', memberId: null, name: 'bot (kubelet:node-2)' },
        { component: 'kubelet', memberId: null, name: 'bot (kubelet:node-3)' },
        { component: 'kubelet', memberId: 'm-kim', name: 'Kim' },
        { component: 'kube-proxy', memberId: null, name: 'bot (kube-proxy)' },
      ]),
    ).toBe('kube-controller-manager (Cleo), kubelet (Kim, 2 bots), kube-proxy (bot)');
  });

  it('names a student once however many of their requests counted, and one bot beside a student as "1 bot"', () => {
    expect(
      achieversText([
        { component: 'kube-scheduler', memberId: 'm-sam', name: 'Sam' },
        { component: 'kube-scheduler', memberId: 'm-sam', name: 'Sam' },
        { component: 'kube-scheduler', memberId: null, name: 'bot (scheduler)' },
      ]),
    ).toBe('kube-scheduler (Sam, 1 bot)');
  });

  it('says nobody reached a goal that has no achievers yet', () => {
    expect(achieversText(undefined)).toBe('nobody yet');
    expect(achieversText([])).toBe('nobody yet');
  });
});

describe('isBotScore', () => {
  const score = (memberId: string): RoundScore => ({ memberId, name: memberId, role: null, score: 0, refusals: 0, accepted: 0 });
  it('tells a bot seat (bot:<role>) from a student', () => {
    expect(isBotScore(score('bot:kubelet:node-2'))).toBe(true);
    expect(isBotScore(score('3f9a1c2b'))).toBe(false);
  });
});

describe('goalWho', () => {
  const kim = { component: 'kube-controller-manager', memberId: 'm-kim', name: 'Kim' };
  it('names who reached a goal, and says why nobody in the class did where nobody did', () => {
    expect(goalWho({ met: true, metAtSeconds: 80, achievedBy: [kim] })).toBe('kube-controller-manager (Kim)');
    // crashloop's fixed image, released by the scenario's own step at 0:45: no student's doing.
    expect(goalWho({ met: true, metAtSeconds: 45, achievedBy: [], metBy: 'scenario' })).toBe("the scenario's own step made it true: nobody in the class reached it");
    expect(goalWho({ met: true, metAtSeconds: 45, achievedBy: [{ component: 'instructor', memberId: 'i1', name: 'Ms Ada' }], metBy: 'instructor' })).toBe('the instructor made it true: nobody in the class reached it');
    expect(goalWho({ met: true, metAtSeconds: 0, achievedBy: [], heldFromStart: true })).toBe('true from the start: nobody had to reach it');
    expect(goalWho({ met: true, metAtSeconds: 70, achievedBy: [], heldFromStart: true })).toBe('already true when it began to count at 1:10: nobody had to reach it');
    // A round lost before node-2 went down: three pods Ready again never counted.
    expect(goalWho({ met: false, waitsFor: "node-2's machine goes down" })).toBe("never counted (waited for: node-2's machine goes down)");
  });
});
