export { KUBELET_STOPPED, HEARTBEAT_MODE, kubeletStopped, manualHeartbeat, stoppedMessage } from '@shared/sim';
