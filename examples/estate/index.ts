// The demo estate: the Horizon pods and the App-V farms of one inventory (.lab/lab.json by default). No output of one
// flows into the other, so the engine upgrades the pod and the farm in parallel, each in its own documented order.
import * as appv from "../appv-farm/index";
import * as horizon from "../horizon-pod/index";

/** Each pod's servers and their verified versions. */
export const pods = horizon.versions;
/** Each farm's servers, their verified versions and the backup taken before the schema upgrade. */
export const farms = appv.farms;
