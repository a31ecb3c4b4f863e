/**
 * Field selectors on Events, as the API server answers them. The cases are those of Kubernetes'
 * pkg/registry/core/event/strategy_test.go (TestGetAttrs: every selectable field of one Event and
 * its value) and pkg/apis/core/v1/conversion.go (the labels an Event may be selected by; any other
 * is refused with "field label not supported").
 */
import { describe, expect, it } from 'vitest';
import type { Event, KubeObject } from '@shared/model';
import { ApiError } from '../store';
import { parseFieldSelector } from './selectors';

const eventA: Event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'f0118', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'foo', namespace: 'baz', uid: 'long uid string', apiVersion: 'v1', resourceVersion: '0', fieldPath: '' },
  reason: 'ForTesting',
  source: { component: 'test' },
  type: 'Normal',
};

// TestGetAttrs' expected set, plus reportingComponent (added upstream with events.k8s.io/v1).
const selectable: [string, string][] = [
  ['metadata.name', 'f0118'],
  ['metadata.namespace', 'default'],
  ['involvedObject.kind', 'Pod'],
  ['involvedObject.name', 'foo'],
  ['involvedObject.namespace', 'baz'],
  ['involvedObject.uid', 'long uid string'],
  ['involvedObject.apiVersion', 'v1'],
  ['involvedObject.resourceVersion', '0'],
  ['involvedObject.fieldPath', ''],
  ['reason', 'ForTesting'],
  ['reportingComponent', ''],
  ['source', 'test'],
  ['type', 'Normal'],
];

const selects = (selector: string, o: KubeObject): boolean => parseFieldSelector(selector, o.kind)(o);

describe('an Event is selectable by every field Kubernetes lets it be', () => {
  it.each(selectable)('%s=%j selects it, and != does not', (field, value) => {
    expect([selects(`${field}=${value}`, eventA), selects(`${field}==${value}`, eventA), selects(`${field}!=${value}`, eventA)]).toEqual([true, true, false]);
    expect(selects(`${field}=${value}x`, eventA)).toBe(false);
  });

  it('kubectl describe pod: involvedObject.name, namespace and uid together', () => {
    expect(selects('involvedObject.name=foo,involvedObject.namespace=baz,involvedObject.uid=long uid string', eventA)).toBe(true);
    expect(selects('involvedObject.name=foo,involvedObject.namespace=default,involvedObject.uid=long uid string', eventA)).toBe(false);
  });

  it('source falls back to the reporting controller of an Event written without a source', () => {
    const { apiVersion, kind, metadata, involvedObject, reason } = eventA;
    const fromEventsApi: Event = { apiVersion, kind, metadata, involvedObject, reason, reportingComponent: 'default-scheduler' };
    expect([selects('source=default-scheduler', fromEventsApi), selects('reportingComponent=default-scheduler', fromEventsApi)]).toEqual([true, true]);
  });

  it.each(['involvedObject.host', 'message', 'spec.nodeName', 'count'])('refuses %s with "field label not supported"', (field) => {
    let thrown: unknown;
    try {
      parseFieldSelector(`${field}=x`, 'Event');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toMatchObject({ code: 400, reason: 'BadRequest', message: `field label not supported: ${field}` });
  });
});
