java -jar jenkins-cli.jar -s https://jenkins.corp.local -auth admin:27a2ae94df82e76d761e5c016bfc4f54e1 build deploy-prod
