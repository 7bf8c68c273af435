/*-------------------------------------------------------------------------
 *
 * fuzz_workflow.c
 *		libFuzzer harness for qes_parse_workflow (src/answers.c): the body
 *		of Fourthline's E2 answer, {"workflowId": "<guid>", "clientId":
 *		"<guid>"}.
 *
 * The input is the whole body (no trailing NUL).  Checked beyond the
 * sanitizers: both ids are accepted only as GUIDs in the 8-4-4-4-12 form,
 * since they go into URL paths.
 *
 * fuzz/fuzz_workflow.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "qes.h"

#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = qf_bytes(0, data, size);
	char	   *workflow_id = NULL;
	char	   *client_id = NULL;
	const char *reason;

	reason = qes_parse_workflow(body, size, &workflow_id, &client_id);

	if (qf_properties())
	{
		if (reason == NULL)
			QF_CHECK(qf_guid(workflow_id) && qf_guid(client_id),
					 "qes_parse_workflow accepted an id that is not a GUID");
		else
			QF_CHECK(workflow_id == NULL && client_id == NULL &&
					 reason[0] != '\0',
					 "qes_parse_workflow failed but set an id, or gave no reason");
	}
	qes_shim_reset();
	return 0;
}
