/** Default numbers of the loops, in simulated seconds unless named otherwise (see DESIGN.md). */
export const NODE_LEASE_DURATION_SECONDS = 40;
/** The kubelet renews its Lease this often (a quarter of the lease duration). */
export const NODE_LEASE_RENEW_SECONDS = 10;
/** --node-monitor-grace-period: no heartbeat for this long -> Ready=Unknown. */
export const NODE_MONITOR_GRACE_SECONDS = 50;
/** Container restart and image pull back-off: 10 s doubling to 300 s, reset after 600 s quiet. */
export const BACKOFF_INITIAL_SECONDS = 10;
export const BACKOFF_MAX_SECONDS = 300;
/** kube-proxy's minSyncPeriod: rules follow an Endpoints change this long after it (the lag the class sees). */
export const PROXY_SYNC_DELAY_SECONDS = 1;
/** How long the runtime takes for the calls other than PullImage. */
export const CRI_CALL_SECONDS = { CreateContainer: 0.5, StartContainer: 0.5, StopContainer: 1, ListContainers: 0.1 } as const;
/** The ReplicaSet controller creates at most this many pods per sync (burstReplicas). */
export const BURST_REPLICAS = 500;
/** Pod name suffix alphabet (utilrand.String): no vowels, no 0/1/3. */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const NAME_SUFFIX_LENGTH = 5;
/** The scheduler's defaults for pods without requests, used only when scoring (NonZeroRequested). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;
/** Pod IPs come from 10.244.<node>.0/24 unless the node has a podCIDR. */
export const POD_NETWORK_PREFIX = '10.244';
