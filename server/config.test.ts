import { expect, test } from 'vitest';
import { loadConfig } from './config';

test('REDIS_CLUSTER_NODES takes host:port nodes separated by commas; a bad node stops the start with its name', () => {
  expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,' }).REDIS_CLUSTER_NODES).toEqual(['10.0.0.1:7000', 'redis-b:7001']);
  expect(loadConfig({ REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES).toBeUndefined();
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b' })).toThrow('Invalid configuration: REDIS_CLUSTER_NODES.1: each node is host:port');
  expect(loadConfig({}).REDIS_CLUSTER_TIMER_QUEUES).toBe(6);
  expect(() => loadConfig({ REDIS_CLUSTER_TIMER_QUEUES: '0' })).toThrow(/REDIS_CLUSTER_TIMER_QUEUES/);
});

test('MAX_NODES: 12 worker nodes per classroom unless raised, up to 1,000', () => {
  expect(loadConfig({}).MAX_NODES).toBe(12);
  expect(loadConfig({ MAX_NODES: '1000' }).MAX_NODES).toBe(1000);
  expect(() => loadConfig({ MAX_NODES: '1001' })).toThrow(/MAX_NODES/);
});
