#!/bin/sh
# sshd with key authentication only (its log counts the handshakes), a plain TCP port through
# socat, and dockerd answering on its socket and, with --tlsverify, on TCP 2376. Extra
# arguments go to dockerd.
set -e
mkdir -p /run/sshd
/usr/sbin/sshd -f /dev/null -o ListenAddress=0.0.0.0 -o Port=22 \
  -o HostKey=/esteps-test/ssh_host_ed25519_key -o AuthorizedKeysFile=/esteps-test/authorized_keys \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o StrictModes=no \
  -o PermitRootLogin=prohibit-password -o LogLevel=INFO -E /esteps-test/sshd.log
socat TCP-LISTEN:2375,fork,reuseaddr UNIX-CONNECT:/var/run/docker.sock &
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2376 \
  --tlsverify --tlscacert=/esteps-test/ca.pem --tlscert=/esteps-test/server-cert.pem \
  --tlskey=/esteps-test/server-key.pem --log-level=warn "$@"
