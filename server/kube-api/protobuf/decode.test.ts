/**
 * Bodies kubectl 1.32 sent (captured with -v=9 from `kubectl create deployment web --image=nginx
 * --replicas=0 --port=80`, `kubectl create service clusterip web --tcp=80:8080` and `kubectl auth
 * can-i create deployments`; `kubectl drain node-2`, with `--grace-period=5` and `--dry-run=server`, through a
 * logging proxy), read back as the JSON objects kubectl would have sent as JSON; and one a typed Go
 * client sends for a Service with the fields kubectl's generator leaves unset.
 */
import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './decode';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

const CREATE_DEPLOYMENT =
  '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0377656212001a0022002a003200380042005a0a0a0361707012037765621286010800120c0a0a0a0361707012037765621a6c0a1c0a0012001a0022002a003200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200';
const CREATE_SERVICE =
  '6b3873000a0d0a02763112075365727669636512690a1f0a0377656212001a0022002a003200380042005a0a0a03617070120377656212420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037765621a002209436c757374657249503a00420052005a00600068001a020a001a002200';
const CAN_I =
  '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577124a0a100a0012001a0022002a00320038004200122c0a2a0a0764656661756c7412066372656174651a046170707322002a0b6465706c6f796d656e747332003a001a08080012001a0020001a002200';

describe('protobuf bodies (k8s.io/apimachinery runtime/serializer/protobuf)', () => {
  it('reads kubectl create deployment, keeping replicas: 0 (a pointer) and dropping empty fields', () => {
    expect(decodeProtobufObject(hex(CREATE_DEPLOYMENT))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
      },
    });
  });

  it('reads kubectl create service clusterip, its targetPort an int-or-string', () => {
    expect(decodeProtobufObject(hex(CREATE_SERVICE))).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
    });
  });

  it('reads a Service\'s dual-stack and traffic fields (core/v1 generated.proto ServiceSpec: ipFamilies 19, ipFamilyPolicy 17, internalTrafficPolicy 22)', () => {
    // A typed Go client's body (kubectl create service sets none of these): Unknown{TypeMeta, raw Service}.
    const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >> 7)]);
    const field = (number: number, bytes: Uint8Array | string): number[] => {
      const data = typeof bytes === 'string' ? [...Buffer.from(bytes)] : [...bytes];
      return [...varint((number << 3) | 2), ...varint(data.length), ...data];
    };
    const message = (...fields: number[][]) => Uint8Array.from(fields.flat());
    const spec = message(
      field(3, '10.96.0.10'), field(4, 'ClusterIP'), field(7, 'ClientIP'), field(17, 'PreferDualStack'), field(18, '10.96.0.10'), field(19, 'IPv4'), field(22, 'Local'),
    );
    const service = message(field(1, message(field(1, 'web'))), field(2, spec));
    const body = Uint8Array.from([...Buffer.from('k8s\0', 'binary'), ...message(field(1, message(field(1, 'v1'), field(2, 'Service'))), field(2, service))]);
    expect(decodeProtobufObject(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { clusterIP: '10.96.0.10', type: 'ClusterIP', sessionAffinity: 'ClientIP', ipFamilyPolicy: 'PreferDualStack', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], internalTrafficPolicy: 'Local' },
    });
  });

  it('reads kubectl auth can-i\'s SelfSubjectAccessReview', () => {
    expect(decodeProtobufObject(hex(CAN_I))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', group: 'apps', resource: 'deployments' } },
    });
  });

  it('reads the DeleteOptions kubectl drain sends with each pod deletion: none set, a grace period, a server dry run', () => {
    const options = (raw: string) => decodeProtobufObject(hex(`6b3873000a130a027631120d44656c6574654f7074696f6e7312${raw}1a002200`));
    expect(options('00')).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions' });
    expect(options('020805')).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5 });
    expect(options('052a03416c6c')).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', dryRun: ['All'] });
  });

  it('refuses what is not a Kubernetes protobuf body with 400, and a kind it does not read with 415', () => {
    expect(() => decodeProtobufObject(hex('7b7d'))).toThrow('the request body is not a valid protobuf message: it does not start with the k8s\\0 prefix');
    expect(() => decodeProtobufObject(hex('6b3873000a15ff'))).toThrow('the request body is not a valid protobuf message: field 1 runs past the end');
    expect(() => decodeProtobufObject(hex('6b3873000a0a0a02763112045065726b'.slice(0, 36)))).toThrow(/protobuf is accepted for Deployment, Service, SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview and DeleteOptions only/);
  });
});
