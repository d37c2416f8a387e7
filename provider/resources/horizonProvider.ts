/**
 * Compatibility: the state of a Horizon resource written before the runtime entry existed requires this path
 * (`vdi-upgrade/dist/provider/resources/horizonProvider`), e.g. for refresh and delete. It forwards to the runtime entry.
 */
import type { Props } from "../lifecycle/descriptor";
import { check as checkKind, forwarding } from "../lifecycle/runtime";

export const { check, diff, create, update, read, remove } = forwarding((kind: "connection-server" | "security-server") => kind);
/** The pod readiness gate's `check`. */
export const checkPod = (olds: unknown, news: Props) => checkKind("pod-readiness", olds, news);
