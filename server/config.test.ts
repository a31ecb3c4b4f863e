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

test('REDIS_WRITE_REPLICAS_TIMEOUT_MS: up to 1000 ms, below the 1.5 s after which a command counts as Redis unreachable (WAIT holds the connection)', () => {
  expect(loadConfig({}).REDIS_WRITE_REPLICAS_TIMEOUT_MS).toBe(100);
  expect(loadConfig({ REDIS_WRITE_REPLICAS_TIMEOUT_MS: '1000' }).REDIS_WRITE_REPLICAS_TIMEOUT_MS).toBe(1000);
  expect(() => loadConfig({ REDIS_WRITE_REPLICAS_TIMEOUT_MS: '2000' })).toThrow(/REDIS_WRITE_REPLICAS_TIMEOUT_MS: at most 1000: a write's WAIT holds the connection/);
});

test('TRUST_PROXY: unset or false believes no forwarded address; a number of hops, true, or names and subnets go to Express as given', () => {
  expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
  expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBeUndefined();
  expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
  expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
  expect(loadConfig({}).JOIN_RATE_LIMIT).toBe(120);
});
