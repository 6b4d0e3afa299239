#!/bin/sh
echo "dckr_pat_DHh3ZccigUZ06p7b4IdXzGdXmTZ" | docker login -u acmeci --password-stdin
