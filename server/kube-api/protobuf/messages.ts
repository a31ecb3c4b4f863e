/**
 * The protobuf messages kubectl 1.32 sends to this server (`kubectl create deployment`, `create
 * service`, `auth can-i` (and `--list`) and `drain`'s pod deletions encode their bodies as
 * application/vnd.kubernetes.protobuf), as data:
 * field number -> JSON name and type, from the `generated.proto` files of k8s.io/api and
 * k8s.io/apimachinery v0.32 (apps/v1, core/v1, authorization/v1, meta/v1, runtime, intstr,
 * resource). Fields the game does not model are absent and skipped, as the JSON path drops them.
 *
 * A type reads `string`, `int`, `bool`, `time` (meta/v1 Time), `quantity`, `intOrString`,
 * `map` (map<string,string>), `quantityMap`, or a message name; `[]` marks a repeated field and
 * `?` a Go pointer, whose zero value is still sent on purpose (`replicas: 0`). Every other zero
 * value is what Go's `omitempty` leaves out of JSON, so the decoder leaves it out too.
 */
const MESSAGES = {
  ObjectMeta: {
    1: 'name:string', 2: 'generateName:string', 3: 'namespace:string', 5: 'uid:string', 6: 'resourceVersion:string', 7: 'generation:int',
    8: 'creationTimestamp:time', 9: 'deletionTimestamp:time', 10: 'deletionGracePeriodSeconds:int?', 11: 'labels:map', 12: 'annotations:map',
    13: 'ownerReferences:OwnerReference[]', 14: 'finalizers:string[]',
  },
  OwnerReference: { 5: 'apiVersion:string', 1: 'kind:string', 3: 'name:string', 4: 'uid:string', 6: 'controller:bool?', 7: 'blockOwnerDeletion:bool?' },
  LabelSelector: { 1: 'matchLabels:map', 2: 'matchExpressions:LabelSelectorRequirement[]' },
  LabelSelectorRequirement: { 1: 'key:string', 2: 'operator:string', 3: 'values:string[]' },
  Deployment: { 1: 'metadata:ObjectMeta', 2: 'spec:DeploymentSpec' },
  DeploymentSpec: {
    1: 'replicas:int?', 2: 'selector:LabelSelector', 3: 'template:PodTemplateSpec', 4: 'strategy:DeploymentStrategy', 5: 'minReadySeconds:int',
    6: 'revisionHistoryLimit:int?', 7: 'paused:bool', 9: 'progressDeadlineSeconds:int?',
  },
  DeploymentStrategy: { 1: 'type:string', 2: 'rollingUpdate:RollingUpdateDeployment' },
  RollingUpdateDeployment: { 1: 'maxUnavailable:intOrString', 2: 'maxSurge:intOrString' },
  PodTemplateSpec: { 1: 'metadata:ObjectMeta', 2: 'spec:PodSpec' },
  PodSpec: {
    20: 'initContainers:Container[]', 2: 'containers:Container[]', 3: 'restartPolicy:string', 4: 'terminationGracePeriodSeconds:int?', 7: 'nodeSelector:map',
    10: 'nodeName:string', 19: 'schedulerName:string', 24: 'priorityClassName:string', 25: 'priority:int?',
  },
  Container: {
    1: 'name:string', 2: 'image:string', 3: 'command:string[]', 4: 'args:string[]', 6: 'ports:ContainerPort[]', 7: 'env:EnvVar[]',
    8: 'resources:ResourceRequirements', 14: 'imagePullPolicy:string',
  },
  ContainerPort: { 1: 'name:string', 2: 'hostPort:int', 3: 'containerPort:int', 4: 'protocol:string' },
  EnvVar: { 1: 'name:string', 2: 'value:string' },
  ResourceRequirements: { 1: 'limits:quantityMap', 2: 'requests:quantityMap' },
  Service: { 1: 'metadata:ObjectMeta', 2: 'spec:ServiceSpec' },
  ServiceSpec: {
    1: 'ports:ServicePort[]', 2: 'selector:map', 3: 'clusterIP:string', 18: 'clusterIPs:string[]', 4: 'type:string', 10: 'externalName:string', 7: 'sessionAffinity:string',
    19: 'ipFamilies:string[]', 17: 'ipFamilyPolicy:string?', 22: 'internalTrafficPolicy:string?',
  },
  ServicePort: { 1: 'name:string', 2: 'protocol:string', 3: 'port:int', 4: 'targetPort:intOrString', 5: 'nodePort:int' },
  SelfSubjectAccessReview: { 1: 'metadata:ObjectMeta', 2: 'spec:SelfSubjectAccessReviewSpec' },
  SelfSubjectAccessReviewSpec: { 1: 'resourceAttributes:ResourceAttributes', 2: 'nonResourceAttributes:NonResourceAttributes' },
  ResourceAttributes: { 1: 'namespace:string', 2: 'verb:string', 3: 'group:string', 4: 'version:string', 5: 'resource:string', 6: 'subresource:string', 7: 'name:string' },
  NonResourceAttributes: { 1: 'path:string', 2: 'verb:string' },
  // kubectl auth can-i --list: the namespace whose rules it asks for.
  SelfSubjectRulesReview: { 1: 'metadata:ObjectMeta', 2: 'spec:SelfSubjectRulesReviewSpec' },
  SelfSubjectRulesReviewSpec: { 1: 'namespace:string' },
  // kubectl auth whoami sends its status empty: the server fills in the user.
  SelfSubjectReview: { 1: 'metadata:ObjectMeta' },
  // kubectl drain deletes each pod with its typed client (no eviction subresource here): DeleteOptions as protobuf.
  DeleteOptions: { 1: 'gracePeriodSeconds:int?', 2: 'preconditions:Preconditions', 3: 'orphanDependents:bool?', 4: 'propagationPolicy:string?', 5: 'dryRun:string[]' },
  Preconditions: { 1: 'uid:string?', 2: 'resourceVersion:string?' },
} as const;

export type MessageName = keyof typeof MESSAGES;
type Scalar = 'string' | 'int' | 'bool' | 'time' | 'quantity' | 'intOrString' | 'map' | 'quantityMap';

export interface FieldSpec {
  name: string;
  type: Scalar | MessageName;
  repeated: boolean;
  /** A Go pointer: present means set, even to zero. */
  pointer: boolean;
}

/** The field with this number of the message, or undefined for one the game does not model. */
export function fieldOf(message: MessageName, number: number): FieldSpec | undefined {
  const spec = (MESSAGES[message] as Record<number, string>)[number];
  if (spec === undefined) return undefined;
  const [name = '', rest = ''] = spec.split(':');
  const type = rest.replace(/\[\]|\?/g, '') as FieldSpec['type'];
  return { name, type, repeated: rest.includes('[]'), pointer: rest.endsWith('?') };
}

/** The message a body of this kind is, for the kinds kubectl encodes as protobuf. */
export function messageOfKind(kind: string): MessageName | undefined {
  return kind === 'Deployment' || kind === 'Service' || kind === 'SelfSubjectAccessReview' || kind === 'SelfSubjectRulesReview' || kind === 'SelfSubjectReview' || kind === 'DeleteOptions'
    ? kind
    : undefined;
}
