/**
 * vdi-upgrade: Pulumi resources that upgrade the servers of a virtual desktop estate (VMware Horizon Connection and
 * Security Servers, Microsoft App-V 4.x servers) by the vendors' documented procedures.
 */
export {};
