module github.com/aferreira/hello-archive

go 1.22
