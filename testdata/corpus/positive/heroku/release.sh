#!/bin/bash
export HEROKU_API_KEY=HRKU-AADpf4TjiFBH0GiodP5DxiBfi1kNCc-LDy6TN-ifwIRzGGDAilq1mpk5RtVP
heroku container:release web -a acme-api
