package ids

// Well-known object ids.
const (
	RootFolderID = "1ea08d18-b6e3-1022-1c57-101f95e572d0"
	SystemUserID = "e809efbf-dbe9-9efc-bb74-e0dc7ae86a3f"
	TraceSampleID = "984af11d0c46c500b0ebd2eba98ff50b"
)
