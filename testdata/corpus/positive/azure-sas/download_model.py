import urllib.request

MODEL_URL = "https://mlartifacts42.blob.core.windows.net/models/resnet50.onnx?sp=r&st=2024-03-01T09:00:00Z&se=2025-03-01T17:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=a3tChluJ5vq9LHmfgVgnX%2B%2FVDdpuL4jJQ9s7fwslkxw%3D"

urllib.request.urlretrieve(MODEL_URL, "resnet50.onnx")
