module github.com/praman/gotool

go 1.22

require (
	github.com/spf13/pflag v1.0.5
	google.golang.org/protobuf v1.34.1
)
