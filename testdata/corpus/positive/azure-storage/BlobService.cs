using Azure.Storage.Blobs;

public class BlobService
{
    private const string Conn = "DefaultEndpointsProtocol=https;AccountName=invoicearchive;AccountKey=jixoyRNh6/JWKB4mIXQTATyzx1khAUDW74XSvqg82l0E4Yhh4yd3/VNBKEma/tjWEM5HNiYaBCmUIkrkhCZm+Q==;EndpointSuffix=core.windows.net";
    private readonly BlobContainerClient _container = new BlobContainerClient(Conn, "invoices");
}
