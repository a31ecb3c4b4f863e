import { describe, expect, it } from 'vitest';
import type { RoundScore } from '@shared/protocol';
import { achieversText, isBotScore } from './round-achievers';

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
