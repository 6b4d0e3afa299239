export https_proxy=http://jsmith:P1q7QK8PIv9TeJv4aJ@proxy.corp.local:3128
