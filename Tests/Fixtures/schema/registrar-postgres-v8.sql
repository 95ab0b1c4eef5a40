--
-- PostgreSQL database dump
--

\restrict rXlj7aVYCJ9Y1XbgHt0RpsHw2RkiM6RcG2BXTGQO9CUFIQxjjLBcTxBnQ3fLzLQ


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: account; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account (
    participant text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    created_at bigint NOT NULL,
    blocked_reason text,
    blocked_by text,
    blocked_at bigint,
    redeem_on_counter_order boolean DEFAULT false NOT NULL,
    CONSTRAINT account_kind_check CHECK ((kind = ANY (ARRAY['producer'::text, 'importer'::text, 'wholesaler'::text, 'retailer'::text])))
);


--
-- Name: activation_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_batch (
    id bigint NOT NULL,
    batch_id text NOT NULL,
    participant_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    body_hash bytea NOT NULL,
    item_count integer NOT NULL,
    received_at bigint NOT NULL,
    results bytea NOT NULL,
    actor_bin text
);


--
-- Name: activation_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.activation_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: activation_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.activation_batch_id_seq OWNED BY public.activation_batch.id;


--
-- Name: activation_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_sequence (
    id integer NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT activation_sequence_id_check CHECK ((id = 1))
);


--
-- Name: aggregation_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.aggregation_event (
    id bigint NOT NULL,
    event_id text NOT NULL,
    participant_bin text NOT NULL,
    digest bytea NOT NULL,
    received_at bigint NOT NULL,
    result text NOT NULL,
    actor_bin text
);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.aggregation_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.aggregation_event_id_seq OWNED BY public.aggregation_event.id;


--
-- Name: alert; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alert (
    id bigint NOT NULL,
    kind text NOT NULL,
    code text NOT NULL,
    at bigint NOT NULL,
    region text,
    producer text,
    message text NOT NULL,
    evidence bytea NOT NULL,
    scan_id text NOT NULL
);


--
-- Name: alert_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alert_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alert_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alert_id_seq OWNED BY public.alert.id;


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    id text NOT NULL,
    hash bytea NOT NULL,
    participant_bin text NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    CONSTRAINT api_token_role_check CHECK ((role = ANY (ARRAY['producer'::text, 'importer'::text, 'banknote-factory'::text, 'revenue-body'::text, 'registrar'::text, 'wholesaler'::text, 'retailer'::text, 'fdo'::text])))
);


--
-- Name: application; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.application (
    id bigint NOT NULL,
    applicant text NOT NULL,
    number text NOT NULL,
    date text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    quantity integer NOT NULL,
    product_name text NOT NULL,
    status text NOT NULL,
    submitted_at bigint NOT NULL,
    decision_due bigint NOT NULL,
    decided_at bigint,
    decided_by text,
    grounds text,
    comment text,
    issued integer DEFAULT 0 NOT NULL,
    document_id bigint NOT NULL,
    actor text NOT NULL,
    CONSTRAINT application_kind_check CHECK ((kind = ANY (ARRAY['domestic'::text, 'import'::text]))),
    CONSTRAINT application_quantity_check CHECK ((quantity > 0)),
    CONSTRAINT application_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'refused'::text])))
);


--
-- Name: application_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.application_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: application_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.application_id_seq OWNED BY public.application.id;


--
-- Name: cash_register; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cash_register (
    id bigint NOT NULL,
    registration text NOT NULL,
    factory_number text NOT NULL,
    seller text NOT NULL,
    operator text NOT NULL,
    first_number bigint NOT NULL,
    last_applied bigint NOT NULL,
    first_seen bigint NOT NULL,
    last_received bigint NOT NULL
);


--
-- Name: cash_register_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.cash_register_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: cash_register_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.cash_register_id_seq OWNED BY public.cash_register.id;


--
-- Name: code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code (
    id bigint NOT NULL,
    code text NOT NULL,
    series text NOT NULL,
    number bigint NOT NULL,
    owner_bin text NOT NULL,
    waybill_id bigint NOT NULL,
    status text NOT NULL,
    product_code text,
    activated_at bigint,
    activation_batch bigint,
    written_off_at bigint,
    write_off_reason text,
    activation_seq bigint,
    written_off_by text,
    holder_bin text,
    pending_order bigint,
    redeemed_at bigint,
    redeemed_by text,
    CONSTRAINT code_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'activated'::text, 'writtenOff'::text])))
);


--
-- Name: code_case; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code_case (
    code_id bigint NOT NULL,
    unit_id bigint NOT NULL
);


--
-- Name: code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.code_id_seq OWNED BY public.code.id;


--
-- Name: monthly_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monthly_counter (
    participant_bin text NOT NULL,
    month text NOT NULL,
    received bigint DEFAULT 0 NOT NULL,
    activated bigint DEFAULT 0 NOT NULL,
    written_off bigint DEFAULT 0 NOT NULL
);


--
-- Name: operation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.operation (
    id bigint NOT NULL,
    participant text NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    at bigint NOT NULL,
    reference text,
    count integer,
    detail text,
    document_id bigint
);


--
-- Name: operation_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.operation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: operation_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.operation_id_seq OWNED BY public.operation.id;


--
-- Name: order_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.order_code (
    order_seq bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    code_id bigint NOT NULL
);


--
-- Name: receipt; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.receipt (
    id bigint NOT NULL,
    register_id bigint NOT NULL,
    number bigint NOT NULL,
    sign text NOT NULL,
    body_hash bytea NOT NULL,
    seller text NOT NULL,
    operator text NOT NULL,
    operation text NOT NULL,
    issued_at bigint NOT NULL,
    received_at bigint NOT NULL,
    state text NOT NULL,
    applied_at bigint,
    flags text NOT NULL,
    lines bytea NOT NULL,
    answer bytea,
    CONSTRAINT receipt_operation_check CHECK ((operation = ANY (ARRAY['sale'::text, 'saleReturn'::text]))),
    CONSTRAINT receipt_state_check CHECK ((state = ANY (ARRAY['waiting'::text, 'applied'::text])))
);


--
-- Name: receipt_gap; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.receipt_gap (
    id bigint NOT NULL,
    register_id bigint NOT NULL,
    from_number bigint NOT NULL,
    to_number bigint NOT NULL,
    waiting_since bigint NOT NULL,
    reported_at bigint NOT NULL
);


--
-- Name: receipt_gap_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.receipt_gap_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: receipt_gap_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.receipt_gap_id_seq OWNED BY public.receipt_gap.id;


--
-- Name: receipt_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.receipt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: receipt_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.receipt_id_seq OWNED BY public.receipt.id;


--
-- Name: redemption; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.redemption (
    id bigint NOT NULL,
    code_id bigint NOT NULL,
    seller text NOT NULL,
    kind text NOT NULL,
    channel text NOT NULL,
    reference text NOT NULL,
    at bigint NOT NULL,
    recorded_at bigint NOT NULL,
    actor text NOT NULL,
    CONSTRAINT redemption_channel_check CHECK ((channel = ANY (ARRAY['receipt'::text, 'service'::text, 'counterOrder'::text]))),
    CONSTRAINT redemption_kind_check CHECK ((kind = ANY (ARRAY['redeemed'::text, 'restored'::text])))
);


--
-- Name: redemption_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.redemption_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: redemption_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.redemption_id_seq OWNED BY public.redemption.id;


--
-- Name: report_submission; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_submission (
    id text NOT NULL,
    participant text NOT NULL,
    form text NOT NULL,
    month text NOT NULL,
    result text NOT NULL,
    differences text NOT NULL,
    received_at bigint NOT NULL,
    document_id bigint NOT NULL,
    actor text NOT NULL
);


--
-- Name: scan; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scan (
    id text NOT NULL,
    code text NOT NULL,
    at bigint NOT NULL,
    verdict text NOT NULL,
    latitude double precision,
    longitude double precision,
    accuracy double precision,
    region text
);


--
-- Name: schema_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migration (
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: service_redemption; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.service_redemption (
    seller text NOT NULL,
    number text NOT NULL,
    digest text NOT NULL,
    answer bytea NOT NULL,
    received_at bigint NOT NULL,
    document_id bigint NOT NULL,
    actor text NOT NULL
);


--
-- Name: signed_document; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signed_document (
    id bigint NOT NULL,
    kind text NOT NULL,
    participant text NOT NULL,
    canonical bytea NOT NULL,
    signature bytea NOT NULL,
    digest text NOT NULL,
    subject text NOT NULL,
    iin text,
    bin text,
    certificate_serial text NOT NULL,
    signing_time bigint,
    received_at bigint NOT NULL
);


--
-- Name: signed_document_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.signed_document_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: signed_document_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.signed_document_id_seq OWNED BY public.signed_document.id;


--
-- Name: trade_order; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.trade_order (
    seq bigint NOT NULL,
    id text NOT NULL,
    number text NOT NULL,
    seller text NOT NULL,
    buyer text NOT NULL,
    status text NOT NULL,
    saved_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    signed_at bigint,
    cancelled_at bigint,
    cancel_reason text,
    expired_at bigint,
    code_count integer NOT NULL,
    units text NOT NULL,
    volume text NOT NULL,
    price text NOT NULL,
    note text,
    seller_document bigint NOT NULL,
    buyer_document bigint,
    actor text NOT NULL,
    buyer_actor text,
    CONSTRAINT trade_order_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'signed'::text, 'cancelled'::text, 'expired'::text])))
);


--
-- Name: trade_order_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.trade_order_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: trade_order_seq_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.trade_order_seq_seq OWNED BY public.trade_order.seq;


--
-- Name: unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit (
    id bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    owner_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    packed_at bigint NOT NULL,
    packed_event text NOT NULL,
    dissolved_at bigint,
    dissolved_event text,
    pallet_id bigint,
    content_count integer NOT NULL,
    CONSTRAINT unit_kind_check CHECK ((kind = ANY (ARRAY['case'::text, 'pallet'::text])))
);


--
-- Name: unit_content; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit_content (
    unit_id bigint NOT NULL,
    content text NOT NULL COLLATE pg_catalog."C",
    "position" integer NOT NULL
);


--
-- Name: unit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unit_id_seq OWNED BY public.unit.id;


--
-- Name: waybill; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill (
    id bigint NOT NULL,
    number text NOT NULL,
    body_hash bytea NOT NULL,
    date text NOT NULL,
    issued_on text NOT NULL,
    month text NOT NULL,
    application_number text NOT NULL,
    application_date text NOT NULL,
    recipient_bin text NOT NULL,
    recipient_name text NOT NULL,
    product_name text NOT NULL,
    product_type text NOT NULL,
    capacity_ml integer NOT NULL,
    quantity integer NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT waybill_quantity_check CHECK ((quantity > 0))
);


--
-- Name: waybill_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.waybill_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: waybill_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.waybill_id_seq OWNED BY public.waybill.id;


--
-- Name: waybill_range; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill_range (
    waybill_id bigint NOT NULL,
    series text NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT waybill_range_check CHECK ((last >= first))
);


--
-- Name: activation_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch ALTER COLUMN id SET DEFAULT nextval('public.activation_batch_id_seq'::regclass);


--
-- Name: aggregation_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event ALTER COLUMN id SET DEFAULT nextval('public.aggregation_event_id_seq'::regclass);


--
-- Name: alert id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert ALTER COLUMN id SET DEFAULT nextval('public.alert_id_seq'::regclass);


--
-- Name: application id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application ALTER COLUMN id SET DEFAULT nextval('public.application_id_seq'::regclass);


--
-- Name: cash_register id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cash_register ALTER COLUMN id SET DEFAULT nextval('public.cash_register_id_seq'::regclass);


--
-- Name: code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code ALTER COLUMN id SET DEFAULT nextval('public.code_id_seq'::regclass);


--
-- Name: operation id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation ALTER COLUMN id SET DEFAULT nextval('public.operation_id_seq'::regclass);


--
-- Name: receipt id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt ALTER COLUMN id SET DEFAULT nextval('public.receipt_id_seq'::regclass);


--
-- Name: receipt_gap id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt_gap ALTER COLUMN id SET DEFAULT nextval('public.receipt_gap_id_seq'::regclass);


--
-- Name: redemption id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redemption ALTER COLUMN id SET DEFAULT nextval('public.redemption_id_seq'::regclass);


--
-- Name: signed_document id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signed_document ALTER COLUMN id SET DEFAULT nextval('public.signed_document_id_seq'::regclass);


--
-- Name: trade_order seq; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order ALTER COLUMN seq SET DEFAULT nextval('public.trade_order_seq_seq'::regclass);


--
-- Name: unit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit ALTER COLUMN id SET DEFAULT nextval('public.unit_id_seq'::regclass);


--
-- Name: waybill id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill ALTER COLUMN id SET DEFAULT nextval('public.waybill_id_seq'::regclass);


--
-- Data for Name: account; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.account (participant, name, kind, created_at, blocked_reason, blocked_by, blocked_at, redeem_on_counter_order) FROM stdin;
970101123452	970101123452	producer	1796396341175	\N	\N	\N	f
980202543215	980202543215	producer	1796396341300	\N	\N	\N	f
\.


--
-- Data for Name: activation_batch; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_batch (id, batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results, actor_bin) FROM stdin;
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\x4ba5ddc9f4013aa8fc4bdc893c9c82c53ccf18ca9751d3f8c8f6af506fbfadb2	30	1796396342407	\\x011e000000001500515a4130303030303030303030303030303030303101f0fd2241a2010000001500515a4130303030303030303030303030303030303201d8012341a2010000001500515a4130303030303030303030303030303030303301c0052341a2010000001500515a4130303030303030303030303030303030303401a8092341a2010000001500515a4130303030303030303030303030303030303501900d2341a2010000001500515a413030303030303030303030303030303030360178112341a2010000001500515a413030303030303030303030303030303030370160152341a2010000001500515a413030303030303030303030303030303030380148192341a2010000001500515a4130303030303030303030303030303030303901301d2341a2010000001500515a413030303030303030303030303030303031300118212341a2010000001500515a413030303030303030303030303030303031310100252341a2010000001500515a4130303030303030303030303030303030313201e8282341a2010000001500515a4130303030303030303030303030303030313301d02c2341a2010000001500515a4130303030303030303030303030303030313401b8302341a2010000001500515a4130303030303030303030303030303030313501a0342341a2010000001500515a413030303030303030303030303030303031360188382341a2010000001500515a4130303030303030303030303030303030313701703c2341a2010000001500515a413030303030303030303030303030303031380158402341a2010000001500515a413030303030303030303030303030303031390140442341a2010000001500515a413030303030303030303030303030303032300128482341a2010000001500515a4130303030303030303030303030303030323101104c2341a2010000001500515a4130303030303030303030303030303030323201f84f2341a2010000001500515a4130303030303030303030303030303030323301e0532341a2010000001500515a4130303030303030303030303030303030323401c8572341a2010000001500515a4130303030303030303030303030303030323501b05b2341a2010000001500515a4130303030303030303030303030303030323601985f2341a2010000001500515a413030303030303030303030303030303032370180632341a2010000001500515a413030303030303030303030303030303032380168672341a2010000001500515a4130303030303030303030303030303030323901506b2341a2010000001500515a4130303030303030303030303030303030333001386f2341a2010000	970101123452
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\xac37b8bc6eb512808f771c4a77d15e64caeb787effed90f7d2206fae1599700b	10	1796396342465	\\x010a000000001500515a413030303030303030303030303030303033310170ec5941a2010000001500515a413030303030303030303030303030303033320158f05941a2010000001500515a413030303030303030303030303030303033330140f45941a2010000001500515a413030303030303030303030303030303033340128f85941a2010000001500515a413030303030303030303030303030303033350110fc5941a2010000001500515a4130303030303030303030303030303030333601f8ff5941a2010000001500515a4130303030303030303030303030303030333701e0035a41a2010000001500515a4130303030303030303030303030303030333801c8075a41a2010000001500515a4130303030303030303030303030303030333901b00b5a41a2010000001500515a4130303030303030303030303030303030343001980f5a41a2010000	970101123452
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x9ce914d5f1a4e414f46f43f76860c417d9c48748f4d06d782480dcb0a2327675	4	1796396342587	\\x0104000000001500515a4230303030303030303030303030303030303101b0637541a2010000001500515a423030303030303030303030303030303030320198677541a2010000001500515a4230303030303030303030303030303030303301806b7541a2010000001500515a4230303030303030303030303030303030303401686f7541a2010000	980202543215
\.


--
-- Data for Name: activation_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_sequence (id, last) FROM stdin;
1	44
\.


--
-- Data for Name: aggregation_event; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.aggregation_event (id, event_id, participant_bin, digest, received_at, result, actor_bin) FROM stdin;
1	6f1c2d3e-0000-4c6d-8e7f-000000000001	970101123452	\\x6dc56f81ddecf14e0ecab8522e95929d849fe1303ca35f95866a460a109646d8	1796396342674	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000001","result":"applied","unit":"048700010000000011"}	970101123452
2	6f1c2d3e-0000-4c6d-8e7f-000000000002	970101123452	\\x88efe8f4d95b5201bf04c842b87bb26f2b278d7a838c8511b962b56eee3911b4	1796396342674	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000002","result":"applied","unit":"048700010000001001"}	970101123452
\.


--
-- Data for Name: alert; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.alert (id, kind, code, at, region, producer, message, evidence, scan_id) FROM stdin;
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
d46a256a	\\x610055ad5e4c717bd367caceea93183b7d0d599996e265c7bdcf9772e848ac6d	990303000012	banknote-factory	1796396341077	\N	\N
cb7356a9	\\x071114f29e6d360a63559b9f890a932b0b59340d32d050b70c7713cbbb436aab	970101123452	producer	1796396341175	\N	\N
194851c1	\\xda62e149ac3d0779b5f766da8c45fcf51fa06ba4179bec271426f5118d2a5736	980202543215	producer	1796396341300	\N	\N
b327931b	\\x69df6ed8e2375d22fa5514828c44d8aa15f8fb44ebce92383922778f04fc33f4	990404000021	revenue-body	1796396341426	\N	\N
4dbc3024	\\xf21f7958e790d6f6cdbad30af80f84606b393665ee82fcd443c9328dbd00eb36	990404000021	registrar	1796396341534	\N	\N
\.


--
-- Data for Name: application; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.application (id, applicant, number, date, kind, name, quantity, product_name, status, submitted_at, decision_due, decided_at, decided_by, grounds, comment, issued, document_id, actor) FROM stdin;
\.


--
-- Data for Name: cash_register; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.cash_register (id, registration, factory_number, seller, operator, first_number, last_applied, first_seen, last_received) FROM stdin;
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason, activation_seq, written_off_by, holder_bin, pending_order, redeemed_at, redeemed_by) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796392742000	2	\N	\N	31	\N	\N	\N	\N	\N
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796392743000	2	\N	\N	32	\N	\N	\N	\N	\N
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796392744000	2	\N	\N	33	\N	\N	\N	\N	\N
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796392745000	2	\N	\N	34	\N	\N	\N	\N	\N
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796392746000	2	\N	\N	35	\N	\N	\N	\N	\N
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796392747000	2	\N	\N	36	\N	\N	\N	\N	\N
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796392748000	2	\N	\N	37	\N	\N	\N	\N	\N
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796392749000	2	\N	\N	38	\N	\N	\N	\N	\N
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796392750000	2	\N	\N	39	\N	\N	\N	\N	\N
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796392751000	2	\N	\N	40	\N	\N	\N	\N	\N
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796394542000	3	\N	\N	41	\N	\N	\N	\N	\N
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796394543000	3	\N	\N	42	\N	\N	\N	\N	\N
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796394544000	3	\N	\N	43	\N	\N	\N	\N	\N
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796394545000	3	\N	\N	44	\N	\N	\N	\N	\N
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796395742000	damaged	\N	970101123452	\N	\N	\N	\N
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796395742000	damaged	\N	970101123452	\N	\N	\N	\N
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796389142000	1	\N	\N	1	\N	\N	\N	\N	\N
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796389143000	1	\N	\N	2	\N	\N	\N	\N	\N
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796389144000	1	\N	\N	3	\N	\N	\N	\N	\N
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796389145000	1	\N	\N	4	\N	\N	\N	\N	\N
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796389146000	1	\N	\N	5	\N	\N	\N	\N	\N
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796389147000	1	\N	\N	6	\N	\N	\N	\N	\N
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796389148000	1	\N	\N	7	\N	\N	\N	\N	\N
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796389149000	1	\N	\N	8	\N	\N	\N	\N	\N
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796389150000	1	\N	\N	9	\N	\N	\N	\N	\N
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796389151000	1	\N	\N	10	\N	\N	\N	\N	\N
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796389152000	1	\N	\N	11	\N	\N	\N	\N	\N
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796389153000	1	\N	\N	12	\N	\N	\N	\N	\N
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796389154000	1	\N	\N	13	\N	\N	\N	\N	\N
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796389155000	1	\N	\N	14	\N	\N	\N	\N	\N
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796389156000	1	\N	\N	15	\N	\N	\N	\N	\N
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796389157000	1	\N	\N	16	\N	\N	\N	\N	\N
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796389158000	1	\N	\N	17	\N	\N	\N	\N	\N
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796389159000	1	\N	\N	18	\N	\N	\N	\N	\N
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796389160000	1	\N	\N	19	\N	\N	\N	\N	\N
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796389161000	1	\N	\N	20	\N	\N	\N	\N	\N
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796389162000	1	\N	\N	21	\N	\N	\N	\N	\N
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796389163000	1	\N	\N	22	\N	\N	\N	\N	\N
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796389164000	1	\N	\N	23	\N	\N	\N	\N	\N
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796389165000	1	\N	\N	24	\N	\N	\N	\N	\N
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796389166000	1	\N	\N	25	\N	\N	\N	\N	\N
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796389167000	1	\N	\N	26	\N	\N	\N	\N	\N
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796389168000	1	\N	\N	27	\N	\N	\N	\N	\N
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796389169000	1	\N	\N	28	\N	\N	\N	\N	\N
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796389170000	1	\N	\N	29	\N	\N	\N	\N	\N
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796389171000	1	\N	\N	30	\N	\N	\N	\N	\N
\.


--
-- Data for Name: code_case; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code_case (code_id, unit_id) FROM stdin;
1	1
2	1
3	1
4	1
5	1
6	1
7	1
8	1
9	1
10	1
11	1
12	1
\.


--
-- Data for Name: monthly_counter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.monthly_counter (participant_bin, month, received, activated, written_off) FROM stdin;
980202543215	2026-12	12	4	0
970101123452	2026-12	60	40	2
\.


--
-- Data for Name: operation; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operation (id, participant, actor, kind, at, reference, count, detail, document_id) FROM stdin;
1	970101123452	970101123452	accountCreated	1796396341175	\N	\N	producer: 970101123452	\N
2	980202543215	980202543215	accountCreated	1796396341300	\N	\N	producer: 980202543215	\N
3	970101123452	990303000012	codesIssued	1796396342308	WB-FIX-1	60	application APP-WB-FIX-1 of 2026-12-04	\N
4	980202543215	990303000012	codesIssued	1796396342363	WB-FIX-2	12	application APP-WB-FIX-2 of 2026-12-04	\N
5	970101123452	970101123452	activated	1796396342407	5c0f0a1e-0000-4000-8000-000000000001	30	line line-1, cam-1	\N
6	970101123452	970101123452	activated	1796396342465	5c0f0a1e-0000-4000-8000-000000000002	10	line line-1, cam-1	\N
7	980202543215	980202543215	activated	1796396342587	5c0f0a1e-0000-4000-8000-000000000003	4	line line-1, cam-1	\N
8	970101123452	970101123452	writtenOff	1796396342653	\N	2	damaged (dated 2026-12-04T19:49:02+05:00)	\N
\.


--
-- Data for Name: order_code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.order_code (order_seq, code, code_id) FROM stdin;
\.


--
-- Data for Name: receipt; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.receipt (id, register_id, number, sign, body_hash, seller, operator, operation, issued_at, received_at, state, applied_at, flags, lines, answer) FROM stdin;
\.


--
-- Data for Name: receipt_gap; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.receipt_gap (id, register_id, from_number, to_number, waiting_since, reported_at) FROM stdin;
\.


--
-- Data for Name: redemption; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.redemption (id, code_id, seller, kind, channel, reference, at, recorded_at, actor) FROM stdin;
\.


--
-- Data for Name: report_submission; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.report_submission (id, participant, form, month, result, differences, received_at, document_id, actor) FROM stdin;
\.


--
-- Data for Name: scan; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.scan (id, code, at, verdict, latitude, longitude, accuracy, region) FROM stdin;
\.


--
-- Data for Name: schema_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migration (name, applied_at) FROM stdin;
v1-registrar	1796396340759
v2-reports	1796396340762
v3-activation-stream	1796396340778
v4-activation-time	1796396340781
v5-aggregation	1796396340822
v6-actor	1796396340829
v7-trade	1796396340963
v8-retail	1796396341074
\.


--
-- Data for Name: service_redemption; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.service_redemption (seller, number, digest, answer, received_at, document_id, actor) FROM stdin;
\.


--
-- Data for Name: signed_document; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.signed_document (id, kind, participant, canonical, signature, digest, subject, iin, bin, certificate_serial, signing_time, received_at) FROM stdin;
\.


--
-- Data for Name: trade_order; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.trade_order (seq, id, number, seller, buyer, status, saved_at, expires_at, signed_at, cancelled_at, cancel_reason, expired_at, code_count, units, volume, price, note, seller_document, buyer_document, actor, buyer_actor) FROM stdin;
\.


--
-- Data for Name: unit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit (id, code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, dissolved_at, dissolved_event, pallet_id, content_count) FROM stdin;
2	048700010000001001	pallet	970101123452	line-1	case-packer-1	1796395202000	6f1c2d3e-0000-4c6d-8e7f-000000000002	\N	\N	\N	1
1	048700010000000011	case	970101123452	line-1	case-packer-1	1796395142000	6f1c2d3e-0000-4c6d-8e7f-000000000001	\N	\N	2	12
\.


--
-- Data for Name: unit_content; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit_content (unit_id, content, "position") FROM stdin;
1	QZA000000000000000001	0
1	QZA000000000000000002	1
1	QZA000000000000000003	2
1	QZA000000000000000004	3
1	QZA000000000000000005	4
1	QZA000000000000000006	5
1	QZA000000000000000007	6
1	QZA000000000000000008	7
1	QZA000000000000000009	8
1	QZA000000000000000010	9
1	QZA000000000000000011	10
1	QZA000000000000000012	11
2	048700010000000011	0
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796396342308
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796396342363
\.


--
-- Data for Name: waybill_range; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill_range (waybill_id, series, first, last) FROM stdin;
1	AB	1	60
2	AC	1	12
\.


--
-- Name: activation_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.activation_batch_id_seq', 3, true);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.aggregation_event_id_seq', 2, true);


--
-- Name: alert_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.alert_id_seq', 1, false);


--
-- Name: application_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.application_id_seq', 1, false);


--
-- Name: cash_register_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.cash_register_id_seq', 1, false);


--
-- Name: code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.code_id_seq', 72, true);


--
-- Name: operation_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.operation_id_seq', 8, true);


--
-- Name: receipt_gap_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.receipt_gap_id_seq', 1, false);


--
-- Name: receipt_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.receipt_id_seq', 1, false);


--
-- Name: redemption_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.redemption_id_seq', 1, false);


--
-- Name: signed_document_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.signed_document_id_seq', 1, false);


--
-- Name: trade_order_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.trade_order_seq_seq', 1, false);


--
-- Name: unit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unit_id_seq', 2, true);


--
-- Name: waybill_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.waybill_id_seq', 2, true);


--
-- Name: account account_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (participant);


--
-- Name: activation_batch activation_batch_batch_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_batch_id_key UNIQUE (batch_id);


--
-- Name: activation_batch activation_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_pkey PRIMARY KEY (id);


--
-- Name: activation_sequence activation_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_sequence
    ADD CONSTRAINT activation_sequence_pkey PRIMARY KEY (id);


--
-- Name: aggregation_event aggregation_event_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_event_id_key UNIQUE (event_id);


--
-- Name: aggregation_event aggregation_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_pkey PRIMARY KEY (id);


--
-- Name: alert alert_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert
    ADD CONSTRAINT alert_pkey PRIMARY KEY (id);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: application application_applicant_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_applicant_number_key UNIQUE (applicant, number);


--
-- Name: application application_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_pkey PRIMARY KEY (id);


--
-- Name: cash_register cash_register_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cash_register
    ADD CONSTRAINT cash_register_pkey PRIMARY KEY (id);


--
-- Name: cash_register cash_register_registration_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cash_register
    ADD CONSTRAINT cash_register_registration_key UNIQUE (registration);


--
-- Name: code_case code_case_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_pkey PRIMARY KEY (code_id);


--
-- Name: code code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_code_key UNIQUE (code);


--
-- Name: code code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_pkey PRIMARY KEY (id);


--
-- Name: code code_series_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_series_number_key UNIQUE (series, number);


--
-- Name: monthly_counter monthly_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monthly_counter
    ADD CONSTRAINT monthly_counter_pkey PRIMARY KEY (participant_bin, month);


--
-- Name: operation operation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation
    ADD CONSTRAINT operation_pkey PRIMARY KEY (id);


--
-- Name: order_code order_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_pkey PRIMARY KEY (order_seq, code);


--
-- Name: receipt_gap receipt_gap_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt_gap
    ADD CONSTRAINT receipt_gap_pkey PRIMARY KEY (id);


--
-- Name: receipt receipt_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt
    ADD CONSTRAINT receipt_pkey PRIMARY KEY (id);


--
-- Name: receipt receipt_register_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt
    ADD CONSTRAINT receipt_register_number_key UNIQUE (register_id, number);


--
-- Name: receipt receipt_register_sign_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt
    ADD CONSTRAINT receipt_register_sign_key UNIQUE (register_id, sign);


--
-- Name: redemption redemption_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redemption
    ADD CONSTRAINT redemption_pkey PRIMARY KEY (id);


--
-- Name: report_submission report_submission_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_submission
    ADD CONSTRAINT report_submission_pkey PRIMARY KEY (id);


--
-- Name: scan scan_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scan
    ADD CONSTRAINT scan_pkey PRIMARY KEY (id);


--
-- Name: schema_migration schema_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (name);


--
-- Name: service_redemption service_redemption_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.service_redemption
    ADD CONSTRAINT service_redemption_pkey PRIMARY KEY (seller, number);


--
-- Name: signed_document signed_document_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signed_document
    ADD CONSTRAINT signed_document_pkey PRIMARY KEY (id);


--
-- Name: trade_order trade_order_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_id_key UNIQUE (id);


--
-- Name: trade_order trade_order_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_pkey PRIMARY KEY (seq);


--
-- Name: trade_order trade_order_seller_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_seller_number_key UNIQUE (seller, number);


--
-- Name: unit_content unit_content_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_pkey PRIMARY KEY (unit_id, content);


--
-- Name: unit unit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pkey PRIMARY KEY (id);


--
-- Name: waybill waybill_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_number_key UNIQUE (number);


--
-- Name: waybill waybill_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_pkey PRIMARY KEY (id);


--
-- Name: alert_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_at ON public.alert USING btree (at);


--
-- Name: alert_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_code ON public.alert USING btree (code, id);


--
-- Name: application_undecided; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX application_undecided ON public.application USING btree (decision_due) WHERE (status = 'submitted'::text);


--
-- Name: code_activated_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_activated_at ON public.code USING btree (activated_at, owner_bin) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX code_activation_seq ON public.code USING btree (activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_case_unit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_case_unit ON public.code_case USING btree (unit_id);


--
-- Name: code_holder; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_holder ON public.code USING btree (holder_bin, status) WHERE (holder_bin IS NOT NULL);


--
-- Name: code_owner_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_owner_activation_seq ON public.code USING btree (owner_bin, activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pending ON public.code USING btree (pending_order) WHERE (pending_order IS NOT NULL);


--
-- Name: code_pool; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pool ON public.code USING btree (owner_bin, status, code COLLATE "C");


--
-- Name: code_redeemed; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_redeemed ON public.code USING btree (redeemed_by, redeemed_at) WHERE (redeemed_by IS NOT NULL);


--
-- Name: operation_participant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operation_participant ON public.operation USING btree (participant, id);


--
-- Name: operation_reference; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operation_reference ON public.operation USING btree (participant, kind, reference);


--
-- Name: order_code_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX order_code_code ON public.order_code USING btree (code_id, order_seq);


--
-- Name: receipt_gap_register; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX receipt_gap_register ON public.receipt_gap USING btree (register_id, id);


--
-- Name: receipt_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX receipt_waiting ON public.receipt USING btree (register_id, number) WHERE (state = 'waiting'::text);


--
-- Name: receipt_waiting_since; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX receipt_waiting_since ON public.receipt USING btree (received_at) WHERE (state = 'waiting'::text);


--
-- Name: redemption_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX redemption_code ON public.redemption USING btree (code_id, id);


--
-- Name: scan_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scan_at ON public.scan USING btree (at);


--
-- Name: scan_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scan_code ON public.scan USING btree (code, at);


--
-- Name: trade_order_buyer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_buyer ON public.trade_order USING btree (buyer, seq);


--
-- Name: trade_order_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_pending ON public.trade_order USING btree (expires_at) WHERE (status = 'pending'::text);


--
-- Name: trade_order_seller; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_seller ON public.trade_order USING btree (seller, seq);


--
-- Name: unit_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_code ON public.unit USING btree (code, id);


--
-- Name: unit_packed; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX unit_packed ON public.unit USING btree (code) WHERE (dissolved_at IS NULL);


--
-- Name: unit_pallet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_pallet ON public.unit USING btree (pallet_id) WHERE (pallet_id IS NOT NULL);


--
-- Name: waybill_recipient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waybill_recipient ON public.waybill USING btree (recipient_bin, id);


--
-- Name: application application_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: code code_activation_batch_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_activation_batch_fkey FOREIGN KEY (activation_batch) REFERENCES public.activation_batch(id);


--
-- Name: code_case code_case_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: code_case code_case_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: code code_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- Name: operation operation_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation
    ADD CONSTRAINT operation_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: order_code order_code_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: order_code order_code_order_seq_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_order_seq_fkey FOREIGN KEY (order_seq) REFERENCES public.trade_order(seq);


--
-- Name: receipt_gap receipt_gap_register_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt_gap
    ADD CONSTRAINT receipt_gap_register_id_fkey FOREIGN KEY (register_id) REFERENCES public.cash_register(id);


--
-- Name: receipt receipt_register_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.receipt
    ADD CONSTRAINT receipt_register_id_fkey FOREIGN KEY (register_id) REFERENCES public.cash_register(id);


--
-- Name: redemption redemption_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redemption
    ADD CONSTRAINT redemption_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: report_submission report_submission_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_submission
    ADD CONSTRAINT report_submission_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: service_redemption service_redemption_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.service_redemption
    ADD CONSTRAINT service_redemption_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: trade_order trade_order_buyer_document_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_buyer_document_fkey FOREIGN KEY (buyer_document) REFERENCES public.signed_document(id);


--
-- Name: trade_order trade_order_seller_document_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_seller_document_fkey FOREIGN KEY (seller_document) REFERENCES public.signed_document(id);


--
-- Name: unit_content unit_content_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: unit unit_pallet_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pallet_id_fkey FOREIGN KEY (pallet_id) REFERENCES public.unit(id);


--
-- Name: waybill_range waybill_range_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill_range
    ADD CONSTRAINT waybill_range_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- PostgreSQL database dump complete
--

\unrestrict rXlj7aVYCJ9Y1XbgHt0RpsHw2RkiM6RcG2BXTGQO9CUFIQxjjLBcTxBnQ3fLzLQ

