#!/bin/sh
# toggle the lab LED
curl https://api.particle.io/v1/devices/548f00142ac5d1e39616367e/led \
  -d arg=on \
  -d access_token=72e9876f266e7822d7b8b27a0749e69a9411f53b
