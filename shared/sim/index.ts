/**
 * The control loops as pure code: each takes the cluster state, the simulated time and a seeded
 * RNG, and returns the requests (and timers) it wants, each with a human explanation.
 */
export * from './rng';
export * from './defaults';
export * from './timers';
export * from './requests';
export * from './state';
export * from './resources';
export * from './api-server';
export * from './scheduler/filters';
export * from './scheduler/scores';
export * from './scheduler/message';
export * from './scheduler/preemption';
export * from './scheduler/scheduler';
export * from './runtime/images';
export * from './runtime/commands';
export * from './runtime/memory';
export * from './runtime/runtime';
export * from './kubelet/backoff';
export * from './kubelet/admission';
export * from './kubelet/containers';
export * from './kubelet/heartbeat';
export * from './kubelet/kubelet';
export * from './controllers/replicaset';
export * from './controllers/deployment';
export * from './controllers/node-lifecycle';
export * from './controllers/endpoints';
export * from './controllers/garbage-collector';
export * from './controllers/controller-manager';
export * from './proxy/proxy';
export * from './on-timer';
export * from './bots';
export * from './moves';
export * from './faults';
export * from './cluster';
