/**
 * Compatibility: the state of an App-V resource written before the runtime entry existed requires this path
 * (`vdi-upgrade/dist/provider/resources/appvProvider`, where an App-V server's kind was `server`), e.g. for refresh and
 * delete. It forwards to the runtime entry.
 */
import { forwarding } from "../lifecycle/runtime";

export const { check, diff, create, update, read, remove } = forwarding((kind: "server" | "farm-preparation" | "farm-completion") =>
  kind === "server" ? "appv-server" : kind,
);
