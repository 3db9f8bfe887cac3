#!/bin/sh
echo "hello from a berth-built image: $(cat /etc/greeting), running as $(id -un) on $(uname -s)"
