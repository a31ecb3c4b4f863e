/**
 * A whole cluster played by bots in simulated time, for the property test, the determinism test and
 * the benchmark: a deterministic event loop with a timer queue, no real time. Each pass runs the
 * components whose inputs changed (as informers would wake them), applying every request through
 * the API server's rules before the next component looks.
 */
import {
  controllerRef,
  makeContainerRuntime,
  makeNode,
  makeProxyTable,
  objectKey,
  type KubeObject,
  type MakeNodeOptions,
  type SimTime,
} from '@shared/model';
import { applyRequest, type ApplyOutcome, type AppliedEvent } from './api-server';
import { reconcileDeployments } from './controllers/deployment';
import { reconcileEndpoints } from './controllers/endpoints';
import { reconcileGarbageCollector } from './controllers/garbage-collector';
import { reconcileNodeLifecycle } from './controllers/node-lifecycle';
import { reconcileReplicaSets } from './controllers/replicaset';
import { reconcileKubelet } from './kubelet/kubelet';
import { onTimer } from './on-timer';
import { reconcileProxy } from './proxy/proxy';
import { isApiRequest, type ApiRequest, type Step } from './requests';
import { seededRng, type Rng } from './rng';
import { crashContainer, reconcileRuntime } from './runtime/runtime';
import { reconcileScheduler } from './scheduler/scheduler';
import { ClusterState, objectHandle, type WatchEventType } from './state';
import { TIMER_KINDS } from './timers';
import { TimerQueue } from './timer-queue';

export interface SimClusterOptions {
  seed: number;
  /** Simulated start time (ms). */
  start?: SimTime;
  /** Keep every applied request as JSON (the determinism test compares it). */
  record?: boolean;
  /** Called after each committed change (the property test checks invariants here). */
  onCommit?: (event: AppliedEvent, request: ApiRequest, cluster: SimCluster) => void;
}

/** Passes at one instant before the harness gives up (a loop that never settles is a bug). */
const MAX_PASSES = 200;

class Dirty {
  constructor(
    public scheduler: boolean,
    public proxies: boolean,
  ) {}
  deployments = new Set<string>();
  replicaSets = new Set<string>();
  nodes = new Set<string>();
  services = new Set<string>();
  kubelets = new Set<string>();
  runtimes = new Set<string>();
  /** Objects (`objectHandle`s) whose owners or dependents changed: the garbage collector looks at them. */
  garbage = new Set<string>();
  any(): boolean {
    return (
      this.scheduler ||
      this.proxies ||
      this.deployments.size + this.replicaSets.size + this.nodes.size + this.services.size + this.kubelets.size + this.runtimes.size + this.garbage.size > 0
    );
  }
}

export class SimCluster {
  readonly state = new ClusterState();
  readonly rng: Rng;
  readonly log: string[] = [];
  now: SimTime;
  requestsApplied = 0;
  conflicts = 0;
  private readonly timers = new TimerQueue();
  private readonly stopped = new Set<string>();
  private dirty = new Dirty(true, true);
  private uid = 0;
  private rv = 0;

  constructor(private readonly options: SimClusterOptions) {
    this.rng = seededRng(options.seed);
    this.now = options.start ?? Date.UTC(2026, 10, 25, 10, 0, 0);
  }

  /** Submits a request as a client would (kubectl, the instructor); returns the API server's answer. */
  submit(request: ApiRequest): ApplyOutcome {
    const outcome = applyRequest(this.state, request, {
      now: this.now,
      nextUid: () => `uid-${++this.uid}`,
      nextResourceVersion: () => String(++this.rv),
    });
    if (this.options.record) this.log.push(JSON.stringify({ at: this.now, request, ok: outcome.ok }));
    this.requestsApplied++;
    if (!outcome.ok) {
      this.conflicts += outcome.error.reason === 'Conflict' ? 1 : 0;
      return outcome;
    }
    this.markFor(outcome.event.object);
    this.markGarbage(outcome.event.type, outcome.event.object);
    this.options.onCommit?.(outcome.event, request, this);
    return outcome;
  }

  createObject(object: KubeObject): ApplyOutcome {
    return this.submit({ verb: 'create', kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}), object, reason: 'submitted' });
  }

  /** A registered node (podCIDR 10.244.<i>.0/24) with its runtime and kube-proxy table. */
  addNode(name: string, opts: MakeNodeOptions = {}): void {
    const i = this.state.count('Node');
    const cidr = `10.${244 + Math.floor(i / 256)}.${i % 256}.0/24`;
    this.createObject(makeNode(name, { now: this.now, podCIDR: cidr, internalIP: `192.168.${Math.floor(i / 250)}.${(i % 250) + 2}`, ...opts }));
    this.createObject(makeContainerRuntime(name));
    this.createObject(makeProxyTable(name));
  }

  /** Fault: the node's kubelet and runtime stop (the machine is gone); its timers are dropped. */
  stopNode(name: string): void {
    this.stopped.add(name);
  }

  startNode(name: string): void {
    this.stopped.delete(name);
    this.dirty.kubelets.add(name);
    this.dirty.runtimes.add(name);
  }

  isStopped(name: string): boolean {
    return this.stopped.has(name);
  }

  /** Fault: the pod's running container dies. */
  crashPod(key: string): void {
    const pod = this.state.pod(key);
    const node = pod?.spec.nodeName;
    if (!pod || node === undefined || this.stopped.has(node)) return;
    this.applySteps(crashContainer(this.state, node, pod.metadata.uid ?? '', this.now));
  }

  /** Runs bots and timers until simulated time `until`. */
  runUntil(until: SimTime): void {
    this.settle();
    for (let next = this.timers.peek(); next !== undefined && next.dueAt <= until; next = this.timers.peek()) {
      this.now = Math.max(this.now, next.dueAt);
      // Every timer due at this instant fires before the components look again (as one informer batch).
      while (this.timers.peek()?.dueAt === next.dueAt) {
        const timer = this.timers.pop();
        if (!timer) break;
        const component = TIMER_KINDS[timer.kind].component;
        const local = component === 'kubelet' || component === 'container-runtime';
        if (local && timer.node !== undefined && this.stopped.has(timer.node)) continue;
        this.applySteps(onTimer(this.state, timer, this.now, this.rng));
      }
      this.settle();
    }
    this.now = Math.max(this.now, until);
    this.settle();
  }

  /** Runs until `done()` holds (checked after every timer) or `limit` simulated ms pass; returns whether it held. */
  runUntilTrue(done: () => boolean, limit: SimTime): boolean {
    const end = this.now + limit;
    this.settle();
    while (!done()) {
      const next = this.timers.peek();
      if (!next || next.dueAt > end) return false;
      this.runUntil(next.dueAt);
    }
    return true;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private applySteps(steps: readonly Step[]): void {
    for (const step of steps) {
      if (!isApiRequest(step)) {
        if (step.timer.dueAt > this.now) this.timers.push(step.timer);
        continue;
      }
      const outcome = this.submit(step);
      // A conflict means the loop decided on a stale copy: it looks again next pass.
      if (!outcome.ok) this.retry(step);
    }
  }

  private retry(req: ApiRequest): void {
    const key = req.namespace === undefined ? req.name : `${req.namespace}/${req.name}`;
    this.dirty.garbage.add(objectHandle(req.kind, key));
    if (req.kind === 'ContainerRuntime') {
      this.dirty.kubelets.add(req.name);
      this.dirty.runtimes.add(req.name);
    } else if (req.kind === 'Node') this.dirty.nodes.add(req.name);
    else if (req.kind === 'ReplicaSet') this.dirty.replicaSets.add(key);
    else if (req.kind === 'Deployment') this.dirty.deployments.add(key);
    else if (req.kind === 'Pod') this.dirty.scheduler = true;
  }

  /** An object with owners is looked at again; so are the dependents of one deleted or marked for deletion. */
  private markGarbage(type: WatchEventType, obj: KubeObject): void {
    const handle = objectHandle(obj.kind, objectKey(obj));
    if (obj.metadata.ownerReferences?.length) this.dirty.garbage.add(handle);
    if (type !== 'DELETED' && obj.metadata.deletionTimestamp === undefined) return;
    if (type !== 'DELETED') this.dirty.garbage.add(handle);
    for (const dependent of this.state.dependentsByOwner.get(obj.metadata.uid ?? '') ?? []) this.dirty.garbage.add(dependent);
  }

  private markFor(obj: KubeObject): void {
    const d = this.dirty;
    const key = objectKey(obj);
    switch (obj.kind) {
      case 'Pod': {
        if (obj.spec.nodeName !== undefined) d.kubelets.add(obj.spec.nodeName);
        if (this.state.pendingPods.size > 0) d.scheduler = true;
        const owner = controllerRef(obj);
        if (owner?.kind === 'ReplicaSet') d.replicaSets.add(`${obj.metadata.namespace ?? 'default'}/${owner.name}`);
        for (const s of this.state.services()) if (s.metadata.namespace === obj.metadata.namespace) d.services.add(objectKey(s));
        return;
      }
      case 'ReplicaSet': {
        d.replicaSets.add(key);
        const owner = controllerRef(obj);
        if (owner?.kind === 'Deployment') d.deployments.add(`${obj.metadata.namespace ?? 'default'}/${owner.name}`);
        return;
      }
      case 'Deployment':
        d.deployments.add(key);
        return;
      case 'Node':
        d.scheduler = true;
        d.nodes.add(key);
        d.kubelets.add(key);
        d.runtimes.add(key);
        d.proxies = true;
        return;
      case 'Lease':
        if (obj.metadata.namespace === 'kube-node-lease') d.nodes.add(obj.metadata.name);
        return;
      case 'ContainerRuntime':
        d.kubelets.add(key);
        d.runtimes.add(key);
        return;
      case 'Service':
        d.services.add(key);
        d.proxies = true;
        return;
      case 'Endpoints':
        d.services.add(key);
        d.proxies = true;
        return;
      default:
        return;
    }
  }

  /** Passes at the current instant until no component has anything left to do. */
  settle(): void {
    for (let pass = 0; this.dirty.any(); pass++) {
      if (pass >= MAX_PASSES) throw new Error(`the loops did not settle at ${new Date(this.now).toISOString()}`);
      const d = this.dirty;
      this.dirty = new Dirty(false, false);
      const { now, rng, state } = this;
      if (d.deployments.size) this.applySteps(reconcileDeployments(state, now, rng, d.deployments));
      if (d.replicaSets.size) this.applySteps(reconcileReplicaSets(state, now, rng, d.replicaSets));
      if (d.nodes.size) this.applySteps(reconcileNodeLifecycle(state, now, rng, d.nodes));
      if (d.services.size) this.applySteps(reconcileEndpoints(state, now, d.services));
      if (d.garbage.size) this.applySteps(reconcileGarbageCollector(state, now, d.garbage));
      if (d.scheduler) this.applySteps(reconcileScheduler(state, now, rng));
      for (const node of d.kubelets) if (!this.stopped.has(node)) this.applySteps(reconcileKubelet(state, node, now));
      for (const node of d.runtimes) if (!this.stopped.has(node)) this.applySteps(reconcileRuntime(state, node, now));
      if (d.proxies) {
        for (const node of state.list('Node')) if (!this.stopped.has(node.metadata.name)) this.applySteps(reconcileProxy(state, node.metadata.name, now));
      }
    }
  }
}
