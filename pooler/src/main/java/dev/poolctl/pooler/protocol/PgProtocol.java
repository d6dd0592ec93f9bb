package dev.poolctl.pooler.protocol;

/** Constants of the PostgreSQL wire protocol v3 and the SQLSTATEs the pooler sends. */
public final class PgProtocol {
    private PgProtocol() {}

    public static final int PROTOCOL_3_0 = 196608;
    public static final int SSL_REQUEST_CODE = 80877103;
    public static final int GSSENC_REQUEST_CODE = 80877104;
    public static final int CANCEL_REQUEST_CODE = 80877102;
    /** PostgreSQL's own MAX_STARTUP_PACKET_LENGTH: a longer startup packet is an attack or garbage. */
    public static final int MAX_STARTUP_PACKET_LENGTH = 10_000;

    // Frontend message types
    public static final byte QUERY = 'Q';
    public static final byte PARSE = 'P';
    public static final byte BIND = 'B';
    public static final byte EXECUTE = 'E';
    public static final byte SYNC = 'S';
    public static final byte FUNCTION_CALL = 'F';
    public static final byte DESCRIBE = 'D';
    public static final byte CLOSE = 'C';
    public static final byte FLUSH = 'H';
    public static final byte TERMINATE = 'X';
    public static final byte PASSWORD_MESSAGE = 'p';
    /** Both directions: the end of a COPY's data. */
    public static final byte COPY_DONE = 'c';
    public static final byte COPY_FAIL = 'f';

    // Backend message types
    public static final byte AUTHENTICATION = 'R';
    public static final byte PARAMETER_STATUS = 'S';
    public static final byte BACKEND_KEY_DATA = 'K';
    public static final byte READY_FOR_QUERY = 'Z';
    public static final byte ERROR_RESPONSE = 'E';
    public static final byte NOTICE_RESPONSE = 'N';
    public static final byte PARSE_COMPLETE = '1';
    public static final byte BIND_COMPLETE = '2';
    public static final byte CLOSE_COMPLETE = '3';
    public static final byte PARAMETER_DESCRIPTION = 't';
    public static final byte ROW_DESCRIPTION = 'T';
    public static final byte DATA_ROW = 'D';
    public static final byte NO_DATA = 'n';
    public static final byte COMMAND_COMPLETE = 'C';
    public static final byte COPY_IN_RESPONSE = 'G';
    public static final byte EMPTY_QUERY_RESPONSE = 'I';
    public static final byte PORTAL_SUSPENDED = 's';

    // Authentication request codes
    public static final int AUTH_OK = 0;
    public static final int AUTH_CLEARTEXT = 3;
    public static final int AUTH_MD5 = 5;
    public static final int AUTH_SASL = 10;
    public static final int AUTH_SASL_CONTINUE = 11;
    public static final int AUTH_SASL_FINAL = 12;

    // Transaction status in ReadyForQuery
    public static final byte TX_IDLE = 'I';
    public static final byte TX_IN_TRANSACTION = 'T';
    public static final byte TX_FAILED = 'E';

    // SQLSTATEs
    public static final String PROTOCOL_VIOLATION = "08P01";
    public static final String INVALID_PASSWORD = "28P01";
    public static final String INVALID_AUTHORIZATION = "28000";
    public static final String TOO_MANY_CONNECTIONS = "53300";
    public static final String CONNECTION_FAILURE = "08006";
    public static final String QUERY_CANCELED = "57014";
    public static final String FEATURE_NOT_SUPPORTED = "0A000";
    public static final String ADMIN_SHUTDOWN = "57P01";
    public static final String DUPLICATE_PREPARED_STATEMENT = "42P05";
    public static final String INVALID_SQL_STATEMENT_NAME = "26000";
}
