module vdi-upgrade.local/toolchain/langhost

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.68.0 // indirect
