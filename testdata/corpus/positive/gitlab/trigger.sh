curl -X POST --fail -F token=glptt-64d52e6ba56159c510f5a6749a2b11ffe96ddf0b -F ref=main https://gitlab.com/api/v4/projects/8812/trigger/pipeline
